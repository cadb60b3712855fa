"""Reminders: those who look after a license hear about its dates before recording or upgrades are at risk.

The owners and managers of the organization holding the license are told, and those of
integrators whose grant covers it if the customer ticked it (``organizations.access.notified_members``),
each person once, by their own email.

Two series per license, each a fixed schedule of reminders:

- the runtime of a subscription or trial: 30, 7 and 1 days before expiry, on expiry (the grace
  period begins) and when the grace period ends. These are service notices: they go to every
  owner, also to those who restricted processing or objected to optional mail, because the
  license stops working without them.
- the upgrade plan of a perpetual license: 30, 7 and 1 days before its end and on the day.
  The license keeps working, so these are informational and are not sent to owners who
  restricted processing or objected to optional mail (``outbox.services.queue_email`` drops them).

A job that runs late sends only the latest reminder that is due in each series, never a burst
of stale ones, and nothing once a series ended more than ``LATE_LIMIT`` ago. Each reminder is
a ``LicenseReminder`` row unique on (license, kind, due date), written in the transaction that
queues the email: a second or concurrent run finds the row and sends nothing.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from licensing.links import email_links
from licensing.models import License, LicenseEvent, LicenseReminder, Plan
from licensing.services.common import Actor, record
from organizations import access
from outbox.models import OutboundEmail
from outbox.services import queue_email

DAYS_BEFORE = (30, 7, 1)
LATE_LIMIT = timedelta(days=7)

EXPIRED = "expired"
GRACE_ENDED = "grace-ended"
UPGRADE_ENDED = "upgrade-ended"


@dataclass(frozen=True)
class Reminder:
    kind: str  # e.g. "expiry-30", "expired", "grace-ended", "upgrade-7", "upgrade-ended"
    due: datetime
    required: bool  # a service notice (sent to everyone) or informational (optional mail)

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def _days(days: int) -> str:
    return f"{days} day{'s' if days > 1 else ''}"


LABELS = {
    **{f"expiry-{days}": f"{_days(days)} before expiry" for days in DAYS_BEFORE},
    EXPIRED: "On expiry (grace period begins)",
    GRACE_ENDED: "End of the grace period",
    **{f"upgrade-{days}": f"{_days(days)} before the upgrade plan ends" for days in DAYS_BEFORE},
    UPGRADE_ENDED: "Upgrade plan ends",
}


def schedule(license: License) -> list[list[Reminder]]:
    """The reminder series of a license, each in the order its reminders fall due."""
    series = []
    if license.kind != Plan.Kind.PERPETUAL and license.expires_at is not None:
        expires = license.expires_at
        expiry = [Reminder(f"expiry-{days}", expires - timedelta(days=days), True) for days in DAYS_BEFORE]
        expiry.append(Reminder(EXPIRED, license.expires_at, True))
        if license.plan.grace_days:
            expiry.append(Reminder(GRACE_ENDED, expires + timedelta(days=license.plan.grace_days), True))
        series.append(expiry)
    if license.kind == Plan.Kind.PERPETUAL and license.upgrade_plan_until is not None:
        end = datetime.combine(license.upgrade_plan_until, time.min, tzinfo=UTC)
        upgrade = [Reminder(f"upgrade-{days}", end - timedelta(days=days), False) for days in DAYS_BEFORE]
        upgrade.append(Reminder(UPGRADE_ENDED, end, False))
        series.append(upgrade)
    return series


def due_now(license: License, now: datetime) -> list[Reminder]:
    """The latest reminder that has fallen due in each series that has not ended long ago."""
    due = []
    for series in schedule(license):
        if now >= series[-1].due + LATE_LIMIT:
            continue
        passed = [reminder for reminder in series if reminder.due <= now]
        if passed:
            due.append(passed[-1])
    return due


def upcoming(license: License, now: datetime) -> list[Reminder]:
    """Reminders still to come, soonest first: the customer pages show the same dates."""
    if license.status != License.Status.ACTIVE or license.organization_id is None:
        return []
    return sorted((r for series in schedule(license) for r in series if r.due > now), key=lambda r: r.due)


def send_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders that are due; safe to run twice, late, or from several processes at once."""
    now = now or timezone.now()
    longest_grace = max(Plan.objects.values_list("grace_days", flat=True), default=0)
    horizon = timedelta(days=max(DAYS_BEFORE))
    runtime = Q(
        expires_at__gt=now - timedelta(days=longest_grace) - LATE_LIMIT, expires_at__lte=now + horizon
    )
    upgrade = Q(
        plan__kind=Plan.Kind.PERPETUAL,
        upgrade_plan_until__gte=(now - LATE_LIMIT).date(),
        upgrade_plan_until__lte=(now + horizon).date() + timedelta(days=1),
    )
    candidates = License.objects.filter(
        runtime | upgrade, organization__isnull=False, status=License.Status.ACTIVE
    )
    sent = 0
    for license in candidates.select_related("plan__product").iterator():
        for reminder in due_now(license, now):
            sent += _send(license, reminder, now)
    return sent


def _send(license: License, reminder: Reminder, now: datetime) -> int:
    try:
        with transaction.atomic():
            LicenseReminder.objects.create(
                license=license, kind=reminder.kind, due_on=reminder.due.date(), sent_at=now
            )
            _queue(license, reminder)
            record(license, LicenseEvent.Kind.REMINDED, Actor.system(), now=now, stage=reminder.kind)
    except IntegrityError:
        return 0  # sent already, by an earlier or a concurrent run
    return 1


def _queue(license: License, reminder: Reminder) -> None:
    context = {
        "license": license,
        "plan": license.plan,
        "stage": reminder.kind,
        "days_left": _days_left(reminder.kind),
        "upgrade_plan_until": license.upgrade_plan_until,
        **email_links(license),
    }
    assert license.organization_id is not None  # reminders go to held licenses only (send_reminders)
    for person in access.notified_members(license):
        if reminder.required:
            queue_email(
                to=[person.email],
                template="license_expiring",
                context=context,
                category=OutboundEmail.Category.SERVICE,
            )
        else:
            queue_email(
                to=[person.email],
                template="upgrade_plan_ending",
                context=context,
                category=OutboundEmail.Category.INFORMATIONAL,
                user=person,
            )


def _days_left(kind: str) -> int | None:
    number = kind.rsplit("-", 1)[-1]
    return int(number) if number.isdigit() else None
