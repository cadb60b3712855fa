"""The account home's "at a glance": the database chooses what needs attention, by the page's rules."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licensing import services, standing
from licensing.access import visible_licenses
from licensing.models import Activation, License, Plan
from tests.licensing.conftest import digest

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def judge_row_by_row(monkeypatch, most: int) -> None:
    """As if ``most`` were ``standing.JUDGED_ROW_BY_ROW`` (its query is compiled with the bound)."""
    monkeypatch.setattr(standing, "JUDGED_ROW_BY_ROW", most)
    monkeypatch.setattr(standing, "_HELD", standing._held())


def _every_site(user, now) -> list[standing.Site]:
    """Every license the person sees, judged row by row in Python (the list page's rules)."""
    return standing.sites(
        list(standing.with_machines(visible_licenses(user), now).order_by("expires_at", "pk")), now
    )


@pytest.mark.parametrize("judged_row_by_row", [standing.JUDGED_ROW_BY_ROW, 0], ids=["few", "many"])
def test_the_database_chooses_exactly_the_licenses_the_rows_say_need_attention(
    customer, issue, make_plan, monkeypatch, judged_row_by_row
):
    judge_row_by_row(monkeypatch, judged_row_by_row)
    now = timezone.now()
    perpetual = make_plan(kind=Plan.Kind.PERPETUAL)
    # (days since it started, days until it expires) of subscriptions and trials
    terms = [
        (165, 200),
        (355, 10),
        (20, 10),
        (25, 5),
        (30, -1),
        (400, -35),
        (365, 0.01),
        (335, 30.01),
        (335, 29.99),
    ]
    for started, ends in terms:
        license, _ = issue(customer)
        License.objects.filter(pk=license.pk).update(
            starts_at=now - started * DAY, expires_at=now + ends * DAY
        )
    issue(customer, plan_=perpetual)
    suspended, _ = issue(customer)
    License.objects.filter(pk=suspended.pk).update(status=License.Status.SUSPENDED)
    for missed_by in (timedelta(minutes=-1), timedelta(minutes=1)):
        license, key = issue(customer)
        services.activate_machine(key=key, fingerprint=digest(f"{missed_by}"), label="NVR")
        stale = now - timedelta(days=license.plan.offline_validity_days) - missed_by
        Activation.objects.filter(license=license).update(last_seen_at=stale)
    expected = [site.license.pk for site in _every_site(customer, now) if site.needs_attention]
    glance = standing.at_a_glance(customer, now)
    assert [site.license.pk for site in glance.attention] == expected
    assert glance.count == len(expected) == 8 and glance.has_licenses


def test_a_person_without_licenses_sees_no_attention_and_no_licenses(customer):
    glance = standing.at_a_glance(customer, timezone.now())
    assert (glance.attention, glance.more, glance.has_licenses) == ([], 0, False)


def test_all_fine_is_told_apart_from_no_license(customer, issue):
    issue(customer)
    glance = standing.at_a_glance(customer, timezone.now())
    assert (glance.attention, glance.has_licenses) == ([], True)


def _account_home(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/account/", secure=True)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_account_home_stays_bounded_as_the_licenses_grow(customer_client, customer, issue, monkeypatch):
    judge_row_by_row(monkeypatch, 3)  # as with hundreds of licenses
    now = timezone.now()

    def expired_licenses(count: int) -> None:
        for _ in range(count):
            license, _ = issue(customer)
            License.objects.filter(pk=license.pk).update(expires_at=now - 400 * DAY)

    expired_licenses(4)
    _account_home(customer_client)  # the first visit of a session does some one-off work
    page, few = _account_home(customer_client)
    assert "4 licenses need your attention" in page
    expired_licenses(standing.AT_A_GLANCE_MOST + 1)
    page, many = _account_home(customer_client)
    assert many == few
    assert f"{standing.AT_A_GLANCE_MOST + 5} licenses need your attention" in page
    assert page.count("License KLY-") == standing.AT_A_GLANCE_MOST
    assert "And 5 more" in page
