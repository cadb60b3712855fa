from io import StringIO

import pytest
from django.core.management import call_command

from licensing.demo import DEMO_COMPANY
from organizations.models import ApiToken, Invitation

pytestmark = pytest.mark.django_db


def test_the_demo_company_has_a_pending_invitation_and_an_api_token_whose_secret_is_not_printed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # idempotent
    invitation = Invitation.objects.get(organization__name=DEMO_COMPANY)
    assert (invitation.status, invitation.role) == ("pending", "manager")
    token = ApiToken.objects.get(organization__name=DEMO_COMPANY)
    assert token.revoked_at is None
    assert "kal_org_" not in out.getvalue()
