"""What licensing staff do: issue, suspend, reinstate, revoke, renew."""

import csv
import io
from calendar import monthrange
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from licensing import keys
from licensing.links import email_links
from licensing.models import Activation, KeyBatch, License, LicenseEvent, Plan
from licensing.services.common import (
    Actor,
    IssuedLicense,
    LicensingError,
    record,
    refuse_second_trial,
)
from organizations.access import notified_members
from outbox.models import OutboundEmail
from outbox.services import queue_email


def _new_license(
    *,
    plan: Plan,
    organization,
    now: datetime,
    max_machines: int | None = None,
    channels: int | None = None,
    expires_at: datetime | None = None,
    batch=None,
) -> IssuedLicense:
    key = keys.generate()
    if plan.kind == Plan.Kind.PERPETUAL:
        expires_at = None
    elif expires_at is None:
        expires_at = now + plan.term
    if expires_at is not None and expires_at <= now:
        raise LicensingError("INVALID_EXPIRY", "The expiry date must lie in the future.")
    upgrade_plan_until = (now + timedelta(days=plan.upgrade_plan_days)).date()
    if expires_at is not None:
        upgrade_plan_until = expires_at.date()  # a subscription covers every release of its term
    license = License(
        plan=plan,
        organization=organization,
        batch=batch,
        trial_of=plan.product if plan.kind == Plan.Kind.TRIAL else None,
        max_machines_override=max_machines,
        channels_override=channels,
        starts_at=now,
        expires_at=expires_at,
        upgrade_plan_until=upgrade_plan_until,
        key_hash=keys.lookup_hash(key),
        key_prefix=keys.display_prefix(key),
        key_sealed=keys.seal(key),
        created_at=now,
        claimed_at=now if organization is not None else None,
    )
    return IssuedLicense(license, key)


def _check_overrides(max_machines: int | None, channels: int | None) -> None:
    if max_machines is not None and not 1 <= max_machines <= 10_000:
        raise LicensingError("INVALID_SEATS", "Seats must be between 1 and 10000.")
    if channels is not None and not 1 <= channels <= 100_000:
        raise LicensingError("INVALID_CHANNELS", "Channels must be between 1 and 100000.")


@transaction.atomic
def issue_license(
    *,
    plan: Plan,
    organization,
    actor: Actor,
    max_machines: int | None = None,
    channels: int | None = None,
    expires_at: datetime | None = None,
    notify: bool = False,
    now: datetime | None = None,
) -> IssuedLicense:
    """Issue one license, to a customer's organization or unassigned (``organization=None``).

    With ``notify``, the organization's owners and managers are told by email (a service
    message, queued with the commit).
    """
    now = now or timezone.now()
    if not plan.is_active:
        raise LicensingError("PLAN_INACTIVE", f"The plan {plan.code} is no longer offered.")
    _check_overrides(max_machines, channels)
    refuse_second_trial(organization, plan)
    issued = _new_license(
        plan=plan,
        organization=organization,
        now=now,
        max_machines=max_machines,
        channels=channels,
        expires_at=expires_at,
    )
    with transaction.atomic():
        issued.license.save()
        record(issued.license, LicenseEvent.Kind.ISSUED, actor, now=now, plan=plan.code)
        if notify:
            _tell_holders(issued.license, "license_issued", {"license": issued.license, "plan": plan})
    return issued


def _tell_holders(license: License, template: str, context: dict) -> None:
    """A service notice to everyone told about ``license`` (``organizations.access.notified_members``)."""
    if license.organization_id is None:
        return
    context = {**context, **email_links(license)}
    for person in notified_members(license):
        queue_email(
            to=[person.email],
            template=template,
            context=context,
            category=OutboundEmail.Category.SERVICE,
        )


MAX_BATCH = 1000


@transaction.atomic
def issue_batch(*, plan: Plan, reseller: str, count: int, actor: Actor, now: datetime | None = None):
    """Issue ``count`` unassigned keys for a reseller; their CSV is fetched once with ``take_batch_csv``."""

    now = now or timezone.now()
    if not 1 <= count <= MAX_BATCH:
        raise LicensingError("INVALID_BATCH_SIZE", f"A batch holds between 1 and {MAX_BATCH} keys.")
    if not plan.is_active:
        raise LicensingError("PLAN_INACTIVE", f"The plan {plan.code} is no longer offered.")
    batch = KeyBatch.objects.create(reseller=reseller, plan=plan, size=count, created_at=now)
    licenses = License.objects.bulk_create(
        [_new_license(plan=plan, organization=None, now=now, batch=batch).license for _ in range(count)]
    )
    LicenseEvent.objects.bulk_create(
        LicenseEvent(
            license=license,
            kind=LicenseEvent.Kind.ISSUED,
            actor=actor.kind,
            actor_user=actor.user,
            detail={"plan": plan.code, "reseller": reseller},
            created_at=now,
        )
        for license in licenses
    )
    return batch


def take_batch_csv(*, batch_id: int, now: datetime | None = None) -> str:
    """The batch's keys as CSV, exactly once: a second call finds the batch taken."""
    now = now or timezone.now()
    with transaction.atomic():
        taken = KeyBatch.objects.filter(pk=batch_id, downloaded_at__isnull=True).update(downloaded_at=now)
        if not taken:
            raise LicensingError(
                "BATCH_ALREADY_DOWNLOADED",
                "The keys of this batch were downloaded already; they are not kept.",
            )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["license_key", "license_id", "plan", "expires_at"])
        for license in License.objects.filter(batch_id=batch_id).select_related("plan").order_by("pk"):
            expires = license.expires_at.date().isoformat() if license.expires_at else ""
            writer.writerow([keys.unseal(license.key_sealed), license.public_id, license.plan.code, expires])
        return out.getvalue()


def _change_status(
    *, license: License, to: str, kind: str, actor: Actor, allowed_from: set[str], reason: str
):
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.status not in allowed_from:
            raise LicensingError(
                "INVALID_STATUS_CHANGE", f"A {locked.get_status_display().lower()} license cannot be {kind}."
            )
        locked.status = to
        locked.save(update_fields=["status"])
        record(locked, kind, actor, reason=reason)
        return locked


def suspend_license(*, license: License, actor: Actor, reason: str = "") -> License:
    return _change_status(
        license=license,
        to=License.Status.SUSPENDED,
        kind=LicenseEvent.Kind.SUSPENDED,
        actor=actor,
        allowed_from={License.Status.ACTIVE},
        reason=reason,
    )


def reinstate_license(*, license: License, actor: Actor, reason: str = "") -> License:
    return _change_status(
        license=license,
        to=License.Status.ACTIVE,
        kind=LicenseEvent.Kind.REINSTATED,
        actor=actor,
        allowed_from={License.Status.SUSPENDED},
        reason=reason,
    )


def revoke_license(*, license: License, actor: Actor, reason: str = "") -> License:
    """Final: a revoked license never works again (issue a new one instead)."""
    return _change_status(
        license=license,
        to=License.Status.REVOKED,
        kind=LicenseEvent.Kind.REVOKED,
        actor=actor,
        allowed_from={License.Status.ACTIVE, License.Status.SUSPENDED},
        reason=reason,
    )


# What staff may do to a license's status from the admin, and what each change is called.
STATUS_CHANGES = {
    "suspend": (suspend_license, "suspended"),
    "reinstate": (reinstate_license, "reinstated"),
    "revoke": (revoke_license, "revoked"),
}


def change_status_with_notice(*, license: License, change: str, actor: Actor, reason: str) -> License:
    """Suspend, reinstate or revoke a license and tell its holders by email (a service notice).

    A suspension or revocation stops the customer's servers, so it needs a reason: it is
    recorded in the license's history, shown on the customer's license page and sent to them.
    """
    change_license, _label = STATUS_CHANGES[change]
    reason = reason.strip()
    if change != "reinstate" and not reason:
        raise LicensingError("REASON_REQUIRED", "Give the reason: the customer sees it.")
    with transaction.atomic():
        changed = change_license(license=license, actor=actor, reason=reason)
        context = {"license": changed, "plan": changed.plan, "change": change, "reason": reason}
        _tell_holders(changed, "license_status_changed", context)
    return changed


@transaction.atomic
def renew_license(
    *,
    license: License,
    actor: Actor,
    until: datetime | None = None,
    months: int | None = None,
    now: datetime | None = None,
) -> License:
    """Extend a license by one plan term, by ``months``, or to ``until``.

    Subscriptions and trials run on from their expiry, or from now when already lapsed, so a
    late renewal never pays for days in the past. Perpetual licenses extend their upgrade plan.
    Renewing several licenses ``until`` one date aligns them (the keys of one site, say).
    """
    now = now or timezone.now()
    if months is not None and not 1 <= months <= 120:
        raise LicensingError("INVALID_EXPIRY", "Extend by 1 to 120 months.")
    locked = License.objects.select_for_update(of=("self",)).select_related("plan").get(pk=license.pk)
    if locked.status == License.Status.REVOKED:
        raise LicensingError("INVALID_STATUS_CHANGE", "A revoked license cannot be renewed.")
    if locked.plan.kind == Plan.Kind.PERPETUAL:
        changed, detail = _extend_upgrade_plan(locked, until=until, months=months, now=now)
    else:
        changed, detail = _extend_term(locked, until=until, months=months, now=now)
    locked.save(update_fields=changed)
    record(locked, LicenseEvent.Kind.RENEWED, actor, now=now, **detail)
    return locked


def _extend_upgrade_plan(
    license: License, *, until: datetime | None, months: int | None, now: datetime
) -> tuple[list[str], dict]:
    """A perpetual license: its upgrade plan runs on (the license itself never ends)."""
    current = license.upgrade_plan_until
    start = max(current or now.date(), now.date())
    term = timedelta(days=license.plan.upgrade_plan_days)
    new_end = _new_end(start, until=until.date() if until else None, months=months, term=term)
    if current and new_end <= current:
        raise LicensingError("INVALID_EXPIRY", "The new upgrade-plan end must lie after the current one.")
    license.upgrade_plan_until = new_end
    detail = {"upgrade_plan_until": new_end.isoformat(), "previous": current.isoformat() if current else None}
    return ["upgrade_plan_until"], detail


def _extend_term(
    license: License, *, until: datetime | None, months: int | None, now: datetime
) -> tuple[list[str], dict]:
    """A subscription or trial: it runs on from its expiry, or from now when already lapsed."""
    current = license.expires_at
    start = max(current or now, now)
    new_expiry = _new_end(start, until=until, months=months, term=license.plan.term)
    if new_expiry <= (current or now):
        raise LicensingError("INVALID_EXPIRY", "The new expiry must lie after the current one.")
    license.expires_at = new_expiry
    license.upgrade_plan_until = new_expiry.date()
    detail = {"expires_at": new_expiry.isoformat(), "previous": current.isoformat() if current else None}
    return ["expires_at", "upgrade_plan_until"], detail


def _new_end(start, *, until, months: int | None, term: timedelta):
    """``until`` when given, else ``months`` after ``start``, else one plan term after it."""
    if until:
        return until
    if months:
        return add_months(start, months)
    return start + term


def add_months(moment, months: int):
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1 = 28 Feb)."""
    years, month = divmod(moment.month - 1 + months, 12)
    year = moment.year + years
    return moment.replace(year=year, month=month + 1, day=min(moment.day, monthrange(year, month + 1)[1]))


def release_for_customer(
    *, activation: Activation, actor: Actor, reason: str = "", now: datetime | None = None
) -> Activation:
    """Support frees a machine's seat for a customer, beyond the yearly allowance of moves.

    Recorded as a deactivation by staff, with the reason if given; it does not use up the
    customer's own allowance.
    """
    now = now or timezone.now()
    with transaction.atomic():
        License.objects.select_for_update(of=("self",)).get(pk=activation.license_id)
        locked = Activation.objects.select_for_update().get(pk=activation.pk)
        if not locked.is_active:
            raise LicensingError("NOT_ACTIVATED", "This machine is deactivated already.")
        locked.is_active = False
        locked.released_at = now
        locked.save(update_fields=["is_active", "released_at"])
        record(
            locked.license,
            LicenseEvent.Kind.DEACTIVATED,
            actor,
            activation=locked,
            now=now,
            support=True,
            **({"reason": reason} if reason else {}),
        )
        return locked
