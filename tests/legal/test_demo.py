import pytest
from django.core.management import call_command

from legal import services
from legal.models import Acceptance, Policy

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_policies_and_lets_demo_accounts_use_their_licenses(db):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    terms = Policy.objects.get(slug="terms")
    assert terms.version_in_force().number == 1
    users = {a.user for a in Acceptance.objects.select_related("user")}
    assert users
    for user in users:
        assert services.pending_acceptance(user=user, policy=terms) is None
    assert Acceptance.objects.count() == 2 * len(users)
