"""The license page's rows (``licensing.detail``): the same text as before, a bounded history."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from licensing import detail, services
from licensing.models import LicenseEvent
from organizations.models import Organization
from tests.licensing.conftest import digest

pytestmark = pytest.mark.django_db

# The history line as the page's template wrote it before ``detail.describe`` took it over.
TEMPLATE_LINE = Template(
    '{{ event.get_kind_display }}{% if event.activation %} ({{ event.activation }}){% endif %}, by {% if event.actor == "customer" and event.actor_user %}{% if event.organization and event.organization_id != license.organization_id %}a member of {{ event.organization }}{% else %}{{ event.actor_user.email }}{% if event.organization %} for {{ event.organization }}{% endif %}{% endif %}{% else %}{{ event.get_actor_display|lower }}{% endif %}{% if event.detail.matched %}: {{ event.detail.matched }} of {{ event.detail.of }} hardware parts recognised{% elif event.detail.code %}: {{ event.detail.code }}{% elif event.detail.integrator %}: {{ event.detail.integrator }}, {{ event.detail.scope }}{% if event.detail.previous_scope %} (was {{ event.detail.previous_scope }}){% endif %}{% elif event.detail.stage %}: {{ event.detail.stage }}{% elif event.detail.reason and event.kind == "suspended" or event.detail.reason and event.kind == "revoked" %}: {{ event.detail.reason }}{% endif %}{% if event.kind == "transferred_out" %}: to {{ event.detail.to }}{% elif event.kind == "transferred_in" %}: from {{ event.detail.origin }}{% endif %}{% if event.detail.reason and event.kind == "transferred_in" %} ({{ event.detail.reason }}){% endif %}'  # noqa: E501 - the old template, verbatim
)

Kind, Actor = LicenseEvent.Kind, LicenseEvent.Actor


def test_every_kind_of_history_line_reads_as_the_template_wrote_it(owned_license, customer):
    license, key = owned_license
    activation = services.activate_machine(key=key, fingerprint=digest("nvr"), label="Lobby").activation
    other = Organization.objects.create(name="Installer & Sons")
    cases = [
        (Kind.ACTIVATED, Actor.MACHINE, None, None, {}),
        (Kind.DEACTIVATED, Actor.CUSTOMER, customer, license.organization, {}),
        (Kind.DEACTIVATED, Actor.CUSTOMER, customer, other, {}),
        (Kind.DEACTIVATED, Actor.CUSTOMER, customer, None, {}),
        (Kind.HARDWARE_CHANGED, Actor.MACHINE, None, None, {"matched": 2, "of": 3}),
        (Kind.VALIDATION_FAILED, Actor.MACHINE, None, None, {"code": "NOT_ACTIVATED"}),
        (
            Kind.INTEGRATOR_CHANGED,
            Actor.CUSTOMER,
            customer,
            license.organization,
            {"integrator": "I&S", "scope": "view", "previous_scope": "manage"},
        ),
        (Kind.INTEGRATOR_GRANTED, Actor.CUSTOMER, customer, None, {"integrator": "I&S", "scope": "view"}),
        (Kind.REMINDED, Actor.SYSTEM, None, None, {"stage": "30 days"}),
        (Kind.SUSPENDED, Actor.STAFF, None, None, {"reason": "Unpaid <invoice>"}),
        (Kind.REINSTATED, Actor.STAFF, None, None, {"reason": "Paid"}),
        (Kind.TRANSFERRED_OUT, Actor.CUSTOMER, customer, license.organization, {"to": "Acme"}),
        (Kind.TRANSFERRED_IN, Actor.STAFF, None, None, {"origin": "Acme", "reason": "merger"}),
        (Kind.TRANSFERRED_IN, Actor.SYSTEM, None, None, {"origin": "Acme"}),
    ]
    for kind, actor, user, organization, extra in cases:
        event = LicenseEvent.objects.create(
            license=license,
            activation=activation if kind in (Kind.ACTIVATED, Kind.DEACTIVATED) else None,
            kind=kind,
            actor=actor,
            actor_user=user,
            organization=organization,
            detail=extra,
        )
        expected = TEMPLATE_LINE.render(Context({"event": event, "license": license}))
        # The template escaped as it went; the page now escapes the whole line once.
        assert Template("{{ text }}").render(Context({"text": detail.describe(event, license)})) == expected


def _history_items(html: str) -> int:
    return html.split('id="history-heading"')[1].count("<li><time")


def test_the_history_is_shown_a_page_at_a_time_newest_first(customer_client, owned_license):
    license, _ = owned_license
    start = timezone.now() - timedelta(days=30)
    LicenseEvent.objects.bulk_create(
        LicenseEvent(
            license=license,
            kind=Kind.VALIDATION_FAILED,
            actor=Actor.MACHINE,
            detail={"code": f"CODE_{n:03d}"},
            created_at=start + timedelta(minutes=n),
        )
        for n in range(detail.HISTORY_PER_PAGE + 5)
    )
    url = reverse("licensing:detail", kwargs={"license_id": license.public_id})
    first = customer_client.get(url).content.decode()
    assert _history_items(first) == detail.HISTORY_PER_PAGE
    # newest first: "Issued" (today), then the refusals from the newest on; the oldest six on page 2
    assert "Issued, by system" in first and "CODE_006" in first and "CODE_005" not in first
    assert 'href="?history=2#history-heading" rel="next"' in first and 'rel="prev"' not in first
    second = customer_client.get(url, {"history": 2}).content.decode()
    assert _history_items(second) == 6
    assert "CODE_000" in second and "CODE_005" in second and "CODE_006" not in second
    assert 'href="?history=1#history-heading" rel="prev"' in second and 'rel="next"' not in second
    # the rest of the page is the same on every history page
    assert second.count("Download certificate") == first.count("Download certificate")
    for junk in ("x", "0", "-3", "9" * 40):
        response = customer_client.get(url, {"history": junk})
        assert response.status_code == 200
    assert "No earlier events." in customer_client.get(url, {"history": 99}).content.decode()
    assert (
        _history_items(customer_client.get(url, {"history": "x"}).content.decode()) == detail.HISTORY_PER_PAGE
    )


def test_a_growing_history_adds_no_query_and_no_line_to_the_page(customer_client, owned_license):
    license, key = owned_license
    services.activate_machine(key=key, fingerprint=digest("nvr"))
    url = reverse("licensing:detail", kwargs={"license_id": license.public_id})
    customer_client.get(url)  # records the session and fills the caches

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            html = customer_client.get(url).content.decode()
        return len(queries), _history_items(html)

    short = cost()
    for size in (detail.HISTORY_PER_PAGE * 2, detail.HISTORY_PER_PAGE * 20):
        LicenseEvent.objects.bulk_create(
            LicenseEvent(
                license=license, kind=Kind.VALIDATION_FAILED, actor=Actor.MACHINE, detail={"code": "X"}
            )
            for _ in range(size)
        )
        assert cost() == (short[0], detail.HISTORY_PER_PAGE)


def test_each_active_machine_links_to_its_own_certificate_and_deactivation(
    customer_client, customer, issue, make_plan
):
    license, key = issue(customer, plan_=make_plan(max_machines=5))
    machines = [
        services.activate_machine(key=key, fingerprint=digest(f"m{n}"), label=f"M{n}").activation
        for n in range(3)
    ]
    services.deactivate_machine(key=key, fingerprint=digest("m2"))
    html = customer_client.get(reverse("licensing:detail", kwargs={"license_id": license.public_id})).content
    html = html.decode()
    for name in ("certificate", "deactivate"):
        for activation in machines[:2]:
            url = reverse(
                f"licensing:{name}",
                kwargs={"license_id": license.public_id, "activation_id": activation.public_id},
            )
            assert f'href="{url}"' in html
        assert str(machines[2].public_id) not in html  # deactivated: no link
    assert str(detail._MACHINE) not in html


def test_the_page_lists_the_active_machines_and_the_ten_last_deactivated(
    customer_client, customer, issue, make_plan
):
    license, key = issue(customer, plan_=make_plan(max_machines=3, moves_per_year=100))
    url = reverse("licensing:detail", kwargs={"license_id": license.public_id})
    services.activate_machine(key=key, fingerprint=digest("kept"), label="Kept NVR")
    customer_client.get(url)  # records the session and fills the caches

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = customer_client.get(url).content.decode()
        return len(queries), html

    statements, html = page()
    for n in range(detail.RELEASED_SHOWN + 5):
        services.activate_machine(key=key, fingerprint=digest(f"moved-{n}"), label=f"Moved {n:02d}")
        services.deactivate_machine(key=key, fingerprint=digest(f"moved-{n}"))
        if n == detail.RELEASED_SHOWN - 1:
            assert page()[0] == statements and "deactivated before these" not in page()[1]
    grown, html = page()
    assert grown == statements
    assert "deactivated before these are not listed" in html
    table = html.split("<h2>Machines</h2>", 1)[1].split("</table>", 1)[0]
    assert "Kept NVR" in table
    shown = [n for n in range(detail.RELEASED_SHOWN + 5) if f"Moved {n:02d}" in table]
    assert shown == list(range(5, detail.RELEASED_SHOWN + 5))  # the ten deactivated last
    assert html.count("Machine activated") + html.count("Machine deactivated") >= 2 * (
        detail.RELEASED_SHOWN + 5
    )


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.mark.postgres  # only PostgreSQL runs the compiled SQL (kalytera.prepared)
def test_the_machines_and_the_newest_events_come_as_from_the_orm(owned_license, customer):
    license, key = owned_license
    for n in range(2):
        services.activate_machine(key=key, fingerprint=digest(f"m{n}"), label=f"M{n}", product_version="6.1")
    services.deactivate_machine(key=key, fingerprint=digest("m0"))
    LicenseEvent.objects.create(
        license=license, kind=Kind.DEACTIVATED, actor=Actor.CUSTOMER, actor_user=customer,
        organization=license.organization, detail={"reason": "moved"},
    )  # fmt: skip
    found, earlier = detail.machines(license)
    assert [_fields(a) for a in found] == [_fields(a) for a in license.activations.all()] and len(found) == 2
    assert not earlier
    events, more = detail.history_page(license, 1)
    expected = list(license.events.select_related("activation", "actor_user", "organization"))
    assert not more and [_fields(e) for e in events] == [_fields(e) for e in expected]
    for event, orm in zip(events, expected, strict=True):
        assert (event.activation, event.actor_user, event.organization) == (
            orm.activation, orm.actor_user, orm.organization,
        )  # fmt: skip
        assert detail.describe(event, license) == detail.describe(orm, license)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 0, 59, 7, 123456, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 5, tzinfo=ZoneInfo("Europe/Berlin")),
        date(2027, 1, 2),
        None,
        "",
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_the_date_filters_write_what_the_date_filter_writes(value, zone):
    with timezone.override(zone):
        for ours, django in [("day", 'date:"Y-m-d"'), ("minute", 'date:"Y-m-d H:i"'), ("iso", 'date:"c"')]:
            if ours != "day" and type(value) is date:
                continue  # times of a date: not used
            context = Context({"value": value})
            mine = Template(f"{{% load licensing %}}{{{{ value|{ours} }}}}").render(context)
            assert mine == Template(f"{{{{ value|{django} }}}}").render(context), ours
