from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from licensing.models import LicenseEvent, Plan
from licensing.services.reminders import send_expiry_reminders


@pytest.fixture
def expiring(issue, customer):
    def make(days: float, **kwargs):
        license, _ = issue(customer, **kwargs)
        license.expires_at = timezone.now() + timedelta(days=days)
        license.save(update_fields=["expires_at"])
        return license

    return make


def test_a_reminder_goes_out_once_per_stage(expiring, deliver_outbox, customer):
    license = expiring(20)
    assert send_expiry_reminders() == 1
    assert send_expiry_reminders() == 0
    sent = deliver_outbox()
    assert [m.to for m in sent] == [[customer.email]]
    assert license.expires_at.strftime("%Y-%m-%d") in sent[0].subject
    assert f"/licenses/{license.public_id}/" in sent[0].body
    assert send_expiry_reminders(now=timezone.now() + timedelta(days=14)) == 1  # the 7-day stage
    assert license.events.filter(kind=LicenseEvent.Kind.REMINDED).count() == 2


def test_a_lapsed_subscription_is_told_when_its_grace_period_ends(expiring, deliver_outbox):
    license = expiring(-2)
    assert send_expiry_reminders() == 1
    message = deliver_outbox()[0]
    assert "has expired" in message.subject
    assert license.grace_ends_at.strftime("%Y-%m-%d") in message.body


def test_renewing_starts_the_reminders_afresh(expiring):
    from licensing import services

    license = expiring(5)
    assert send_expiry_reminders() == 1
    later = timezone.now() + timedelta(days=6)
    services.renew_license(license=license, actor=services.Actor.system(), until=later)
    assert send_expiry_reminders() == 1


@pytest.mark.parametrize("case", ["far", "perpetual", "unowned", "suspended", "expired"])
def test_no_reminder_when_none_is_due(case, expiring, issue, make_plan, customer):
    from licensing import services

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
    assert send_expiry_reminders() == 0


def test_the_periodic_command_reports_what_it_queued(expiring):
    expiring(3)
    out = StringIO()
    call_command("send_license_reminders", stdout=out)
    assert "1 expiry reminder(s) queued." in out.getvalue()
