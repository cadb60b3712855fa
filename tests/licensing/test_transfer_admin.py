"""Licensing staff transfer licenses in the admin: a receiving organization, a reason, a confirmation."""
# ruff: noqa: F811 - the organization fixtures are imported by name

import pytest
from django.urls import reverse

from licensing.models import License, LicenseEvent, LicenseTransfer
from tests.licensing.test_transfers import RECIPIENT, contoso, mia  # noqa: F401
from tests.organizations.conftest import company, company_license, members  # noqa: F401
from tests.outbox import latest_to

pytestmark = pytest.mark.django_db

REASON = "Contoso took over the site from Northwind (ticket 1234)."


@pytest.fixture
def staff(licensing_user, staff_client_for):
    return staff_client_for(licensing_user)


def test_the_licensing_group_sees_transfers_but_does_not_change_them(licensing_user):
    assert licensing_user.has_perm("licensing.view_licensetransfer")
    assert not licensing_user.has_perm("licensing.change_licensetransfer")
    assert not licensing_user.has_perm("licensing.delete_licensetransfer")


def test_the_license_page_has_a_transfer_button_that_asks_for_a_reason(
    staff, licensing_user, members, company, company_license, contoso
):
    license, _key, _activation = company_license
    url = reverse("admin:licensing_license_transfer", args=[license.pk])
    assert url in staff.get(reverse("admin:licensing_license_change", args=[license.pk])).content.decode()
    page = staff.get(url).content.decode()
    assert "Receiving organization" in page and license.reference in page
    refused = staff.post(url, {"organization": contoso.pk, "reason": "", "confirm": "on", "apply": "1"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    unconfirmed = staff.post(url, {"organization": contoso.pk, "reason": REASON, "apply": "1"})
    assert unconfirmed.status_code == 200
    assert License.objects.get(pk=license.pk).organization == company

    response = staff.post(url, {"organization": contoso.pk, "reason": REASON, "confirm": "on", "apply": "1"})
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.organization == contoso
    moved_in = license.events.get(kind=LicenseEvent.Kind.TRANSFERRED_IN)
    assert (moved_in.actor, moved_in.actor_user, moved_in.detail["reason"]) == (
        "staff",
        licensing_user,
        REASON,
    )
    transfer = LicenseTransfer.objects.get()
    assert transfer.by_staff and transfer.reason == REASON
    assert "ticket 1234" in latest_to(members["owner"].email).body_text
    assert "ticket 1234" in latest_to(RECIPIENT).body_text


def test_the_action_transfers_several_licenses(staff, members, company, company_license, contoso, issue):
    license, _key, _activation = company_license
    second, _ = issue(company)
    chosen = {"action": "transfer", "_selected_action": [license.pk, second.pk]}
    page = staff.post(reverse("admin:licensing_license_changelist"), chosen)
    assert page.status_code == 200 and second.reference in page.content.decode()
    staff.post(
        reverse("admin:licensing_license_changelist"),
        {**chosen, "organization": contoso.pk, "reason": REASON, "confirm": "on", "apply": "1"},
    )
    assert set(
        License.objects.filter(pk__in=[license.pk, second.pk]).values_list("organization", flat=True)
    ) == {contoso.pk}


@pytest.mark.parametrize("persona", ["support_user", "legal_user"])
def test_other_staff_cannot_transfer(staff_client_for, persona, request, company_license, contoso):
    license, _key, _activation = company_license
    client = staff_client_for(request.getfixturevalue(persona))
    url = reverse("admin:licensing_license_transfer", args=[license.pk])
    client.post(url, {"organization": contoso.pk, "reason": REASON, "confirm": "on", "apply": "1"})
    assert License.objects.get(pk=license.pk).organization != contoso


def test_the_transfer_record_is_read_only(staff, members, company_license, contoso, mia):
    from licensing.services.transfers import offer_transfer

    license, _key, _activation = company_license
    offered = offer_transfer(by=members["owner"], licenses=[license], recipient_email=RECIPIENT)
    listing = staff.get(reverse("admin:licensing_licensetransfer_changelist") + f"?q={RECIPIENT}")
    assert listing.status_code == 200 and "Northwind Security" in listing.content.decode()
    page = staff.get(reverse("admin:licensing_licensetransfer_change", args=[offered.transfer.pk]))
    assert page.status_code == 200 and license.reference in page.content.decode()
    assert offered.token not in page.content.decode()
