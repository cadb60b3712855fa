"""The demo integrator: an organization with a manage grant on the demo company, seeded once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from licensing.demo import DEMO_COMPANY
from licensing.models import LicenseEvent
from organizations.models import ApiToken, IntegratorGrant, Invitation
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_demo_integrator_manages_the_demo_company_and_seeding_twice_adds_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    assert "Integrator login: integrator@kalytera.example" in out.getvalue()
    (grant,) = IntegratorGrant.objects.select_related("customer", "integrator")
    assert (grant.customer.name, grant.integrator.name) == (
        "Northwind Security GmbH",
        "Northwind Security Integrators",
    )
    assert (grant.scope, grant.all_licenses, grant.send_reminders) == ("manage", True, True)
    granted = LicenseEvent.objects.filter(kind=LicenseEvent.Kind.INTEGRATOR_GRANTED)
    assert granted.count() == grant.customer.licenses.count() >= 2
    lead = User.objects.get(email="integrator@kalytera.example")
    page = signed_in(lead).get(reverse("licensing:integrators")).content.decode()
    assert "Northwind Security GmbH" in page and "Warehouse NVR" not in page


def test_the_demo_company_has_a_pending_invitation_and_an_api_token_whose_secret_is_not_printed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # idempotent
    invitation = Invitation.objects.get(organization__name=DEMO_COMPANY)
    assert (invitation.status, invitation.role) == ("pending", "manager")
    token = ApiToken.objects.get(organization__name=DEMO_COMPANY)
    assert token.revoked_at is None
    assert "kal_org_" not in out.getvalue()
