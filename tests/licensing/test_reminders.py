import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.privacy import restriction
from licensing import services
from licensing.models import LicenseEvent, LicenseReminder, Plan
from licensing.services.reminders import send_reminders, upcoming
from outbox.models import OutboundEmail


@pytest.fixture
def expiring(issue, customer):
    def make(days: float, **kwargs):
        license, _ = issue(customer, **kwargs)
        license.expires_at = timezone.now() + timedelta(days=days)
        license.save(update_fields=["expires_at"])
        return license

    return make


@pytest.fixture
def upgrade_ending(issue, customer, make_plan):
    def make(days: int):
        license, _ = issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL))
        license.upgrade_plan_until = (timezone.now() + timedelta(days=days)).date()
        license.save(update_fields=["upgrade_plan_until"])
        return license

    return make


def test_a_reminder_goes_out_once_per_stage(expiring, deliver_outbox, customer):
    license = expiring(20)
    assert send_reminders() == 1
    assert send_reminders() == 0
    sent = deliver_outbox()
    assert [m.to for m in sent] == [[customer.email]]
    assert license.expires_at.strftime("%Y-%m-%d") in sent[0].subject
    assert f"/licenses/{license.public_id}/" in sent[0].body
    assert send_reminders(now=timezone.now() + timedelta(days=14)) == 1  # the 7-day stage
    assert license.events.filter(kind=LicenseEvent.Kind.REMINDED).count() == 2


def test_every_stage_of_a_subscription_is_reminded_once(expiring, deliver_outbox):
    license = expiring(31)
    start = timezone.now()
    # Run the job every six hours for 70 days, twice each time.
    kinds = []
    for step in range(70 * 4):
        now = start + timedelta(hours=6 * step)
        send_reminders(now=now)
        send_reminders(now=now)
    kinds = list(
        LicenseReminder.objects.filter(license=license).order_by("sent_at").values_list("kind", flat=True)
    )
    assert kinds == ["expiry-30", "expiry-7", "expiry-1", "expired", "grace-ended"]
    subjects = [message.subject for message in deliver_outbox()]
    assert len(subjects) == 5
    assert "has expired" in subjects[3]
    assert "grace period ended" in subjects[4]


def test_a_late_job_sends_only_the_latest_due_reminder(expiring):
    license = expiring(3)  # the 30- and 7-day stages were missed while the job did not run
    assert send_reminders() == 1
    assert list(LicenseReminder.objects.values_list("kind", flat=True)) == ["expiry-7"]
    assert send_reminders(now=license.expires_at + timedelta(hours=1)) == 1  # on expiry


def test_a_lapsed_subscription_is_told_when_its_grace_period_begins(expiring, deliver_outbox):
    license = expiring(-2)
    assert send_reminders() == 1
    message = deliver_outbox()[0]
    assert "has expired" in message.subject
    assert license.grace_ends_at.strftime("%Y-%m-%d") in message.body


def test_renewing_starts_the_reminders_afresh(expiring):
    license = expiring(5)
    assert send_reminders() == 1
    later = timezone.now() + timedelta(days=6)
    services.renew_license(license=license, actor=services.Actor.system(), until=later)
    assert send_reminders() == 1


def test_upgrade_plan_reminders_go_to_perpetual_licenses(upgrade_ending, deliver_outbox):
    license = upgrade_ending(6)
    assert send_reminders() == 1
    message = deliver_outbox()[0]
    assert "upgrade plan" in message.subject
    assert "optional" in message.body
    assert OutboundEmail.objects.get().category == OutboundEmail.Category.INFORMATIONAL
    on_the_day = timezone.now() + timedelta(days=6, hours=1)
    assert send_reminders(now=on_the_day) == 1
    assert LicenseReminder.objects.filter(license=license, kind="upgrade-ended").exists()


def test_restricted_owners_get_required_reminders_but_not_optional_ones(expiring, upgrade_ending, customer):
    restriction.set_choices(user=customer, restrict=True, object_to_optional_mail=True)
    expiring(5)
    upgrade_ending(5)
    send_reminders()
    assert LicenseReminder.objects.count() == 2  # both handled: neither is tried again
    sent = OutboundEmail.objects.get()
    assert sent.category == OutboundEmail.Category.SERVICE
    assert "sent even if you declined optional email" in sent.body_text


@pytest.mark.parametrize("case", ["far", "perpetual", "unowned", "suspended", "expired"])
def test_no_reminder_when_none_is_due(case, expiring, issue, make_plan, customer):
    if case == "far":
        expiring(60)
    elif case == "perpetual":
        issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL))
    elif case == "unowned":
        license, _ = issue(None)
        license.expires_at = timezone.now() + timedelta(days=3)
        license.save(update_fields=["expires_at"])
    elif case == "suspended":
        services.suspend_license(license=expiring(3), actor=services.Actor.system())
    else:
        expiring(-400)
    assert send_reminders() == 0


def test_the_license_page_shows_the_coming_reminders(expiring, customer_client):
    license = expiring(20)
    coming = upcoming(license, timezone.now())
    assert [r.kind for r in coming] == ["expiry-7", "expiry-1", "expired", "grace-ended"]
    html = customer_client.get(f"/licenses/{license.public_id}/").content.decode()
    assert coming[0].due.strftime("%Y-%m-%d") in html
    assert "7 days before expiry" in html
    assert license.grace_ends_at.strftime("%Y-%m-%d") in html


def test_the_periodic_command_reports_what_it_queued(expiring):
    expiring(3)
    out = StringIO()
    call_command("send_license_reminders", stdout=out)
    assert "1 reminder(s) queued." in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_job_runs_send_each_reminder_exactly_once(expiring, upgrade_ending):
    for days in (3, 10, 25):
        expiring(days)
    upgrade_ending(5)
    runners = 8
    start = threading.Barrier(runners)

    def run() -> int:
        start.wait()
        try:
            return send_reminders()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=runners) as pool:
        sent = sum(pool.map(lambda _: run(), range(runners)))
    assert sent == 4
    assert LicenseReminder.objects.count() == 4
    assert OutboundEmail.objects.count() == 4


def test_plain_text_reminders_are_not_html_escaped(expiring, make_plan, deliver_outbox):
    expiring(5, plan_=make_plan(name="Pro & Analytics"))
    send_reminders()
    message = deliver_outbox()[0]
    assert "Pro & Analytics" in message.subject
    assert "Pro & Analytics" in message.body


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("expiry-30", lambda license: license.expires_at - timedelta(days=30)),
        ("expiry-7", lambda license: license.expires_at - timedelta(days=7)),
        ("expiry-1", lambda license: license.expires_at - timedelta(days=1)),
        ("expired", lambda license: license.expires_at),
        ("grace-ended", lambda license: license.grace_ends_at),
    ],
)
def test_each_reminder_falls_due_exactly_at_its_boundary(expiring, kind, due):
    license = expiring(40)
    moment = due(license)
    send_reminders(now=moment - timedelta(seconds=1))
    assert not LicenseReminder.objects.filter(kind=kind).exists()
    with time_machine.travel(moment, tick=False):
        assert send_reminders() == 1
    assert LicenseReminder.objects.filter(kind=kind, due_on=moment.date()).exists()
