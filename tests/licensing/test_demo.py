"""The licensing demo content: licenses with machines, and a pending transfer offer to try."""

from io import StringIO

import pytest
from django.core.management import call_command

from licensing.demo import DEMO_COMPANY, DEMO_PARTNER
from licensing.models import LicenseTransfer
from licensing.services.transfers import accept_transfer, receiving_organizations

pytestmark = pytest.mark.django_db


def test_the_demo_company_has_one_pending_transfer_offer_and_seeding_twice_adds_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    offer = LicenseTransfer.objects.get()
    assert offer.from_organization.name == DEMO_COMPANY
    assert offer.state == LicenseTransfer.State.PENDING and offer.recipient_email == DEMO_PARTNER
    link = next(line for line in out.getvalue().splitlines() if "Transfer offer from" in line)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    partner = offer.offered_by.__class__.objects.get(email=DEMO_PARTNER)
    accept_transfer(
        user=partner, token=token, organization=receiving_organizations(partner).get(name="Contoso CCTV")
    )
    assert offer.licenses.get().organization.name == "Contoso CCTV"
