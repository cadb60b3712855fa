"""Transfers: an organization hands licenses to another, all of them or none.

An owner of the holding organization offers licenses to an owner or manager of another
organization, by email; the recipient opens the single-use link signed in with that
verified address, chooses which of their organizations receives the licenses and accepts.
Licensing staff can move a license directly, with a reason (``transfer_by_staff``).

Races are settled by row locks, always taken in the same order (the offer, then its
licenses by primary key), so that concurrent requests wait for each other instead of
deadlocking:

- offering locks the license rows, then checks that each is held by the organization and
  in no pending offer: two offers of one license cannot both be pending;
- accepting and withdrawing lock the offer row: of two acceptances (two tabs), or an
  acceptance and a withdrawal, the second finds the offer decided;
- accepting then locks the license rows and checks each is still held by the offering
  organization: a staff transfer, a purge or an acceptance of another offer that moved a
  license in between refuses the whole transfer. Claims only apply to unheld keys and take
  the same row lock, so a license ends with exactly one holder.

Machines, certificates and the license id do not change: the servers notice nothing.
Reminders and notices follow the holding organization (``organizations.access.notified_members``),
so they reach the new holder's owners and managers from the moment of the transfer.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from kalytera.prepared import PreparedLookup
from licensing import crypto
from licensing.models import License, LicenseEvent, LicenseTransfer, Plan
from licensing.services import integrators
from licensing.services.common import Actor, LicensingError, record, refuse_second_trial
from organizations.access import Action, allows
from organizations.models import Membership, Organization
from outbox.models import OutboundEmail
from outbox.services import queue_email

State = LicenseTransfer.State
OFFER_VALID = timedelta(days=7)
MAX_LICENSES_PER_OFFER = 100


@dataclass(frozen=True)
class OfferedTransfer:
    transfer: LicenseTransfer
    token: str  # only in the recipient's email; the database keeps its keyed hash


def token_hash(token: str) -> str:
    return crypto.keyed_hash("transfer", token.strip())


def accept_url(token: str) -> str:
    return settings.SITE_URL + reverse("licensing:accept_transfer", args=[token])


def _references(licenses: Iterable[License]) -> str:
    return ", ".join(license.reference for license in licenses)


def _role(user, organization: Organization) -> str | None:
    return organization.memberships.filter(user=user).values_list("role", flat=True).first()


def _locked_licenses(license_ids: Iterable[int]) -> list[License]:
    """The licenses, locked in primary-key order (the order every transfer path locks them in)."""
    return list(
        License.objects.select_for_update(of=("self",))
        .select_related("plan__product")
        .filter(pk__in=list(license_ids))
        .order_by("pk")
    )


def pending_offers(license_ids: Iterable[int], now: datetime) -> QuerySet[LicenseTransfer]:
    """The offers still open (pending and in time) that include any of these licenses."""
    return LicenseTransfer.objects.filter(
        licenses__in=list(license_ids), state=State.PENDING, expires_at__gt=now
    ).distinct()


# The license page asks it on every view: compiled once per process (kalytera.prepared).
_OPEN_OFFER_BY_HOLDER = PreparedLookup(
    LicenseTransfer,
    lambda license_id, organization_id, now: LicenseTransfer.objects.filter(
        licenses=license_id, from_organization_id=organization_id, state=State.PENDING, expires_at__gt=now
    ).order_by("pk")[:1],
    license_id=int,
    organization_id=int,
    now=datetime,
)


def open_offer_by_holder(license: License, now: datetime) -> LicenseTransfer | None:
    """The holding organization's open offer of ``license`` (one at most: ``pending_offers``' rule)."""
    if license.organization_id is None:
        return None
    return _OPEN_OFFER_BY_HOLDER.first(
        license_id=license.pk, organization_id=license.organization_id, now=now
    )


def offer_transfer(
    *, by, licenses: Sequence[License], recipient_email: str, now: datetime | None = None
) -> OfferedTransfer:
    """An owner offers ``licenses`` (all of one organization) to the person at ``recipient_email``.

    The recipient receives the link by email; it is valid for seven days.
    """
    now = now or timezone.now()
    recipient_email = recipient_email.strip().lower()
    if not licenses:
        raise LicensingError("NO_LICENSES", "Choose at least one license to transfer.")
    if len(licenses) > MAX_LICENSES_PER_OFFER:
        raise LicensingError(
            "TOO_MANY_LICENSES", f"One offer holds at most {MAX_LICENSES_PER_OFFER} licenses."
        )
    if not recipient_email:
        raise LicensingError("RECIPIENT_REQUIRED", "Enter the email address of the person who receives them.")
    with transaction.atomic():
        locked = _locked_licenses(license.pk for license in licenses)
        holders = {license.organization_id for license in locked}
        if len(locked) != len({license.pk for license in licenses}) or None in holders:
            raise LicensingError("LICENSE_NOT_HELD", "A license you chose is no longer held by you.")
        if len(holders) > 1:
            raise LicensingError(
                "SEVERAL_ORGANIZATIONS",
                "The licenses belong to different organizations: offer those of one organization at a time.",
            )
        organization = locked[0].organization
        assert organization is not None  # checked above
        role = _role(by, organization)
        if not allows(role, Action.TRANSFER):
            raise LicensingError(
                "NOT_AN_OWNER", f"Only an owner of {organization} can transfer its licenses."
            )
        trials = [license for license in locked if license.plan.kind == Plan.Kind.TRIAL]
        if trials:
            raise LicensingError(
                "TRIAL_NOT_TRANSFERABLE",
                f"Trial licenses stay with the account that started them: {_references(trials)}.",
            )
        # Under the locks of the license rows: a concurrent offer of one of them waits here and
        # then sees this one. Offers of an earlier holder (a staff transfer moved the license
        # meanwhile) no longer count: they can never be accepted.
        still_offered = pending_offers([license.pk for license in locked], now).filter(
            from_organization=organization
        )
        in_offers = set(still_offered.values_list("licenses", flat=True))
        offered = [license for license in locked if license.pk in in_offers]
        if offered:
            raise LicensingError(
                "ALREADY_OFFERED",
                f"Already in a pending transfer offer: {_references(offered)}. "
                "Withdraw that offer first, or wait until it expires.",
            )
        token = secrets.token_urlsafe(32)
        transfer = LicenseTransfer.objects.create(
            from_organization=organization,
            offered_by=by,
            recipient_email=recipient_email,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + OFFER_VALID,
        )
        transfer.licenses.set(locked)
        actor = Actor.customer(by, organization)
        for license in locked:
            record(
                license, LicenseEvent.Kind.TRANSFER_OFFERED, actor, now=now, transfer=str(transfer.public_id)
            )
        queue_email(
            to=[recipient_email],
            template="license_transfer_offer",
            context={
                "transfer": transfer,
                "organization": organization,
                "offered_by": by.email,
                "licenses": locked,
                "accept_url": accept_url(token),
            },
            category=OutboundEmail.Category.SERVICE,
        )
    return OfferedTransfer(transfer, token)


def find_offer(token: str) -> LicenseTransfer:
    """The offer of a link, for its page (no lock): refuses a link that matches no offer."""
    transfer = (
        LicenseTransfer.objects.select_related("from_organization", "offered_by", "to_organization")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if transfer is None:
        raise LicensingError(
            "TRANSFER_NOT_FOUND", "This transfer link is not valid. Check that you opened the whole link."
        )
    return transfer


def _refuse_closed(transfer: LicenseTransfer, now: datetime) -> None:
    state = transfer.current_state(now)
    if state == State.ACCEPTED:
        raise LicensingError("ALREADY_ACCEPTED", "This transfer was accepted already; the link works once.")
    if state == State.WITHDRAWN:
        raise LicensingError(
            "WITHDRAWN",
            f"{transfer.from_organization} withdrew this transfer offer; ask them to send a new one.",
        )
    if state == State.EXPIRED:
        raise LicensingError(
            "EXPIRED",
            f"This transfer offer expired on {transfer.expires_at:%Y-%m-%d %H:%M} UTC; "
            f"ask {transfer.from_organization} to send a new one.",
        )


def is_recipient(user, transfer: LicenseTransfer) -> bool:
    """Whether ``user`` has verified the address the offer was sent to."""
    if not transfer.recipient_email:
        return False
    return EmailAddress.objects.filter(
        user=user, email__iexact=transfer.recipient_email, verified=True
    ).exists()


def refuse_other_people(user, transfer: LicenseTransfer) -> None:
    if not is_recipient(user, transfer):
        raise LicensingError(
            "WRONG_ADDRESS",
            "This offer was sent to another email address. Sign in with the account of that "
            "address (and verify it), then open the link again.",
        )


def receiving_organizations(user) -> QuerySet[Organization]:
    """Where ``user`` may receive licenses: the organizations in which they are owner or manager."""
    roles = [role for role in Membership.Role.values if allows(role, Action.CLAIM)]
    return Organization.objects.filter(memberships__user=user, memberships__role__in=roles).order_by("name")


def accept_transfer(
    *, user, token: str, organization: Organization, now: datetime | None = None
) -> LicenseTransfer:
    """The recipient accepts: every license of the offer moves to ``organization``, or none does."""
    now = now or timezone.now()
    with transaction.atomic():
        transfer = (
            LicenseTransfer.objects.select_for_update(of=("self",))
            .select_related("from_organization")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if transfer is None:
            raise LicensingError("TRANSFER_NOT_FOUND", "This transfer link is not valid.")
        refuse_other_people(user, transfer)  # first: others learn nothing about the offer
        _refuse_closed(transfer, now)
        if not allows(_role(user, organization), Action.CLAIM):
            raise LicensingError(
                "NOT_AN_OWNER",
                f"To receive licenses in {organization}, you must be an owner or manager of it.",
            )
        source = transfer.from_organization
        if organization.pk == source.pk:
            raise LicensingError(
                "SAME_ORGANIZATION",
                f"The licenses are in {source.as_place} already: choose another organization.",
            )
        ids = list(transfer.licenses.values_list("pk", flat=True))
        licenses = _locked_licenses(ids)
        gone = [license for license in licenses if license.organization_id != source.pk]
        taken_by_another = (
            LicenseTransfer.objects.filter(
                licenses__in=ids, state=State.ACCEPTED, decided_at__gt=transfer.created_at
            )
            .exclude(pk=transfer.pk)
            .exists()
        )
        if gone or taken_by_another or len(licenses) != len(ids):
            raise LicensingError(
                "LICENSE_NO_LONGER_HELD",
                f"{source} no longer holds {_references(gone) or 'a license of this offer'}, "
                "so nothing was transferred. Ask them to send a new offer.",
            )
        for license in licenses:
            refuse_second_trial(organization, license.plan)
        transfer.state = State.ACCEPTED
        transfer.decided_by = user
        transfer.decided_at = now
        transfer.to_organization = organization
        transfer.save(update_fields=["state", "decided_by", "decided_at", "to_organization"])
        _move(
            licenses,
            transfer=transfer,
            out_actor=Actor.customer(transfer.offered_by, source),
            in_actor=Actor.customer(user, organization),
            now=now,
        )
        _tell(
            _owners(source),
            transfer=transfer,
            licenses=licenses,
            source=source,
            target=organization,
            accepted_by=user.email,
        )
    return transfer


def _move(
    licenses: list[License],
    *,
    transfer: LicenseTransfer,
    out_actor: Actor,
    in_actor: Actor,
    now: datetime,
    reason: str = "",
) -> None:
    """Move locked licenses to the receiving organization and write both sides into each history."""
    assert transfer.to_organization is not None
    source, target = transfer.from_organization, transfer.to_organization
    for license in licenses:
        license.organization = target
        license.save(update_fields=["organization"])
        transfer_id = str(transfer.public_id)
        record(
            license,
            LicenseEvent.Kind.TRANSFERRED_OUT,
            out_actor,
            now=now,
            transfer=transfer_id,
            to=target.name,
            reason=reason,
        )
        record(
            license,
            LicenseEvent.Kind.TRANSFERRED_IN,
            in_actor,
            now=now,
            transfer=transfer_id,
            origin=source.name,
            reason=reason,
        )
    integrators.record_holder_change(licenses, previous=source, new=target, now=now)


def _owners(organization: Organization) -> list[str]:
    return list(
        organization.memberships.filter(role=Membership.Role.OWNER).values_list("user__email", flat=True)
    )


def _notified(organization: Organization) -> list[str]:
    roles = [Membership.Role.OWNER, Membership.Role.MANAGER]
    return list(organization.memberships.filter(role__in=roles).values_list("user__email", flat=True))


def _tell(addresses: list[str], **context) -> None:
    """A service notice about a completed transfer, one email per person."""
    for address in addresses:
        queue_email(
            to=[address],
            template="license_transferred",
            context={**context, "transfers_url": settings.SITE_URL + reverse("licensing:transfers")},
            category=OutboundEmail.Category.SERVICE,
        )


def withdraw_transfer(*, by, transfer: LicenseTransfer, now: datetime | None = None) -> LicenseTransfer:
    """An owner of the offering organization withdraws a pending offer; its link stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            LicenseTransfer.objects.select_for_update(of=("self",))
            .select_related("from_organization")
            .get(pk=transfer.pk)
        )
        organization = locked.from_organization
        if not allows(_role(by, organization), Action.TRANSFER):
            raise LicensingError("NOT_AN_OWNER", f"Only an owner of {organization} can withdraw its offers.")
        _refuse_closed(locked, now)
        locked.state = State.WITHDRAWN
        locked.decided_by = by
        locked.decided_at = now
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        actor = Actor.customer(by, organization)
        for license in locked.licenses.order_by("pk"):
            record(
                license, LicenseEvent.Kind.TRANSFER_WITHDRAWN, actor, now=now, transfer=str(locked.public_id)
            )
    return locked


def expire_transfers(*, now: datetime | None = None) -> int:
    """Mark offers whose seven days ran out as expired (a periodic job; idempotent).

    Pages and acceptance already treat them as expired by their date; this only writes it down.
    """
    now = now or timezone.now()
    return LicenseTransfer.objects.filter(state=State.PENDING, expires_at__lte=now).update(
        state=State.EXPIRED, decided_at=F("expires_at")
    )


def transfer_by_staff(
    *, license: License, to_organization: Organization, actor: Actor, reason: str, now: datetime | None = None
) -> LicenseTransfer:
    """Licensing staff move a license to another organization, for a reason both sides are told.

    Pending offers that include the license are withdrawn: the license is no longer the
    offering organization's to give.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise LicensingError("REASON_REQUIRED", "Give the reason: both organizations read it.")
    with transaction.atomic():
        stale = list(pending_offers([license.pk], now).values_list("pk", flat=True))
        open_offers = LicenseTransfer.objects.select_for_update().filter(pk__in=stale).order_by("pk")
        for offer in open_offers:  # locked before the license, as acceptances lock them
            offer.state, offer.decided_by, offer.decided_at = State.WITHDRAWN, actor.user, now
            offer.save(update_fields=["state", "decided_by", "decided_at"])
        [locked] = _locked_licenses([license.pk])
        source = locked.organization
        if source is None:
            raise LicensingError(
                "LICENSE_NOT_HELD", "This key is not claimed yet: the customer adds it themselves."
            )
        if source.pk == to_organization.pk:
            raise LicensingError("SAME_ORGANIZATION", f"The license is in {to_organization} already.")
        refuse_second_trial(to_organization, locked.plan)
        transfer = LicenseTransfer.objects.create(
            from_organization=source,
            created_at=now,
            expires_at=now,
            state=State.ACCEPTED,
            decided_by=actor.user,
            decided_at=now,
            to_organization=to_organization,
            by_staff=True,
            reason=reason,
        )
        transfer.licenses.set([locked])
        staff = LicenseEvent.Actor.STAFF
        _move(
            [locked],
            transfer=transfer,
            out_actor=Actor(staff, actor.user, source),
            in_actor=Actor(staff, actor.user, to_organization),
            now=now,
            reason=reason,
        )
        context = {"transfer": transfer, "licenses": [locked], "source": source, "target": to_organization}
        _tell(sorted(set(_owners(source)) | set(_notified(to_organization))), **context, reason=reason)
    return transfer
