"""Expiry reminders: the owner of a subscription hears about its end before recording is at risk."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kalytera.mail import queue_email
from licensing.models import License, LicenseEvent, Plan
from licensing.services.common import Actor, record

# Days before expiry at which a reminder goes out; one more when the grace period begins.
STAGES = (30, 7, 1)
GRACE = "grace"


def stage_of(license: License, now: datetime) -> str | None:
    """The reminder due for a license now (``"30"``, ``"7"``, ``"1"`` or ``"grace"``), if any."""
    left = license.expires_at - now
    if left <= timedelta(0):
        return GRACE if now < license.grace_ends_at else None
    due = [days for days in STAGES if left <= timedelta(days=days)]
    return str(min(due)) if due else None


def send_expiry_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders that are due; safe to run often and from several processes at once."""
    now = now or timezone.now()
    earliest = now - timedelta(days=max(Plan.objects.values_list("grace_days", flat=True), default=0))
    candidates = (
        License.objects.filter(
            owner__isnull=False,
            status=License.Status.ACTIVE,
            expires_at__gt=earliest,
            expires_at__lte=now + timedelta(days=max(STAGES)),
        )
        .exclude(plan__kind=Plan.Kind.PERPETUAL)
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in candidates.iterator():
        sent += _remind(pk, now)
    return sent


def _remind(pk: int, now: datetime) -> int:
    with transaction.atomic():
        # skip_locked: another scheduler is handling this license right now.
        license = (
            License.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("owner", "plan__product")
            .filter(pk=pk)
            .first()
        )
        if license is None or license.owner is None:
            return 0
        stage = stage_of(license, now)
        if stage is None:
            return 0
        expires = license.expires_at.isoformat()
        already = LicenseEvent.objects.filter(
            license=license, kind=LicenseEvent.Kind.REMINDED, detail__stage=stage, detail__expires_at=expires
        )
        if already.exists():
            return 0
        queue_email(
            to=[license.owner.email],
            template="license_expiring",
            context={"license": license, "plan": license.plan, "stage": stage, "in_grace": stage == GRACE},
            category="service",
        )
        record(license, LicenseEvent.Kind.REMINDED, Actor.system(), now=now, stage=stage, expires_at=expires)
        return 1
