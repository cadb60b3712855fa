"""Staff renew, extend and align licenses, one or many at once."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from licensing import services
from licensing.models import LicenseEvent, Plan
from licensing.services import Actor, LicensingError
from licensing.services.staff import add_months

URL = reverse("admin:licensing_license_changelist")


@pytest.fixture
def staff(licensing_user, staff_client_for):
    return staff_client_for(licensing_user)


def renew(client, licenses, **data):
    ids = [license.pk for license in licenses]
    return client.post(URL, {"action": "renew_with_form", "_selected_action": ids, **data}, follow=True)


def test_the_action_asks_how_then_renews_several_licenses_to_one_date(staff, issue, customer):
    site = [issue(customer)[0] for _ in range(3)]
    page = renew(staff, site).content.decode()
    assert "Renew 3 licenses" in page and site[0].reference in page
    assert not LicenseEvent.objects.filter(kind=LicenseEvent.Kind.RENEWED).exists()  # only asked
    renew(staff, site, apply="Renew", how="date", until="2029-06-30")
    for license in site:
        license.refresh_from_db()
        assert license.expires_at == datetime(2029, 6, 30, 23, 59, 59, tzinfo=UTC)
        assert license.events.filter(kind=LicenseEvent.Kind.RENEWED, actor="staff").exists()


def test_licenses_are_extended_by_months_from_their_own_expiry(staff, issue, customer):
    licenses = [issue(customer)[0] for _ in range(2)]
    before = [license.expires_at for license in licenses]
    response = renew(staff, licenses, apply="Renew", how="months", months="6")
    assert "2 license(s) renewed" in response.content.decode()
    for license, expiry in zip(licenses, before, strict=True):
        license.refresh_from_db()
        assert license.expires_at == add_months(expiry, 6)


def test_a_perpetual_license_gets_its_upgrade_plan_extended(staff, issue, customer, make_plan):
    license, _ = issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL))
    end = license.upgrade_plan_until
    renew(staff, [license], apply="Renew", how="months", months="12")
    license.refresh_from_db()
    assert license.upgrade_plan_until == add_months(end, 12)
    assert license.expires_at is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"how": "months"}, "Enter the number of months."),
        ({"how": "months", "months": "0"}, "greater than or equal to 1"),
        ({"how": "date"}, "Enter the new end date."),
        ({"how": "date", "until": "30/06/2029"}, "Enter a valid date."),
        ({"how": "forever"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(staff, owned_license, data, error):
    license, _ = owned_license
    expiry = license.expires_at
    page = renew(staff, [license], apply="Renew", **data).content.decode()
    assert error in page
    license.refresh_from_db()
    assert license.expires_at == expiry


def test_a_date_before_the_current_expiry_is_refused_for_that_license_only(staff, issue, customer):
    near, _ = issue(customer)
    far, _ = issue(customer, expires_at=datetime(2031, 1, 1, tzinfo=UTC))
    page = renew(staff, [near, far], apply="Renew", how="date", until="2030-01-01").content.decode()
    assert "1 license(s) renewed" in page
    assert f"{far.reference}: The new expiry must lie after the current one." in page
    far.refresh_from_db()
    assert far.expires_at == datetime(2031, 1, 1, tzinfo=UTC)


def test_other_staff_groups_cannot_renew(staff_client_for, support_user, owned_license):
    license, _ = owned_license
    expiry = license.expires_at
    response = renew(staff_client_for(support_user), [license], apply="Renew", how="months", months="6")
    assert response.status_code == 403
    license.refresh_from_db()
    assert license.expires_at == expiry


def test_months_run_to_the_last_day_of_a_shorter_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


def test_the_service_refuses_extensions_out_of_range(owned_license):
    license, _ = owned_license
    with pytest.raises(LicensingError) as refused:
        services.renew_license(license=license, actor=Actor.system(), months=121)
    assert refused.value.code == "INVALID_EXPIRY"
