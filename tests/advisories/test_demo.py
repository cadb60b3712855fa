import pytest
from django.core.management import call_command

from accounts.demo import DEMO_CUSTOMER
from advisories import services
from advisories.models import Advisory, AdvisoryNotice, IncidentNotice
from tests import personas

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_an_advisory_affecting_the_demo_machines(client):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert set(Advisory.objects.values_list("identifier", flat=True)) == {"KSA-2026-007", "KSA-2026-003"}
    assert Advisory.objects.get(identifier="KSA-2026-003").current.number == 2
    assert IncidentNotice.objects.filter(sent_at__isnull=True).count() == 1
    assert personas.in_group(personas.User.objects.get(email="security@kalytera.example"), "Security")
    services.send_advisory_notices()
    told = set(AdvisoryNotice.objects.values_list("email_address", "revision__advisory__identifier"))
    assert (DEMO_CUSTOMER, "KSA-2026-007") in told
    assert client.get("/security/advisories/KSA-2026-007/").status_code == 200
