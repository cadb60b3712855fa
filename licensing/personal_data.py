"""What licensing holds about a person: their own licenses, the machines on them and their history.

A person's own licenses are those of their personal organization; a company's licenses
belong to the company, and what the person did to them is in the history (by them).

Machines are known only by keyed hashes of the digests the VMS sends (never a raw hardware
identifier), plus the label and version the VMS reports. When an account is purged, its
licenses stay valid for the sites that run on them, but no longer point to anyone.
"""

from django.db.models import Q
from django.utils import timezone

from kalytera.personal_data import PersonalData, email_addresses, register
from licensing.models import Activation, License, LicenseEvent, LicenseTransfer


def _licenses(user) -> list[dict]:
    return [
        {
            "license": license.reference,
            "license_id": str(license.public_id),
            "plan": license.plan.code,
            "status": license.status,
            "claimed_at": license.claimed_at.isoformat() if license.claimed_at else None,
            "expires_at": license.expires_at.isoformat() if license.expires_at else None,
            "upgrade_plan_until": license.upgrade_plan_until.isoformat()
            if license.upgrade_plan_until
            else None,
        }
        for license in License.objects.filter(organization__personal_for=user)
        .select_related("plan")
        .order_by("created_at")
    ]


def _machines(user) -> list[dict]:
    return [
        {
            "license": activation.license.reference,
            "label": activation.label,
            "product_version": activation.product_version,
            "fingerprint_hash": activation.fingerprint_hash,
            "component_hashes": activation.component_hashes,
            "first_seen_at": activation.first_seen_at.isoformat(),
            "last_seen_at": activation.last_seen_at.isoformat(),
            "active": activation.is_active,
        }
        for activation in Activation.objects.filter(license__organization__personal_for=user)
        .select_related("license")
        .order_by("first_seen_at")
    ]


def _history(user) -> list[dict]:
    return [
        {
            "license": event.license.reference,
            "event": event.kind,
            "by": event.actor,
            "at": event.created_at.isoformat(),
        }
        for event in LicenseEvent.objects.filter(
            Q(license__organization__personal_for=user) | Q(actor_user=user)
        )
        .select_related("license")
        .order_by("created_at", "id")
    ]


def _collect(user) -> list[dict]:
    return [
        *({"kind": "license", **row} for row in _licenses(user)),
        *({"kind": "machine", **row} for row in _machines(user)),
        *({"kind": "license event", **row} for row in _history(user)),
    ]


def _erase(user) -> None:
    # Licenses are paid for and keep sites recording: they lose their owner, not their validity.
    # Runs before the organizations section lets go of the personal organization (higher order).
    License.objects.filter(organization__personal_for=user).update(organization=None)
    LicenseEvent.objects.depersonalise(user)


register(
    PersonalData(
        key="licenses",
        title="Licenses and machines",
        explanation=(
            "The licenses in your account (your personal organization), the VMS servers activated "
            "on them (label, version, first and last check-in, and keyed hashes of the anonymised "
            "machine identifiers the server sends) and each license's history."
        ),
        models=(License, Activation, LicenseEvent),
        collect=_collect,
        erase=_erase,
        order=30,
        kept_after_deletion=(
            "Licenses and their machines are kept without a link to you, so that the servers running "
            "on them keep working; the key holder can add them to another account. Licenses of "
            "organizations stay with the organization; its history keeps the actions without your name."
        ),
    )
)


# --- Transfers ---------------------------------------------------------------------------------


def _transfers_of(user):
    mine = Q(offered_by=user) | Q(decided_by=user) | Q(recipient_email__in=email_addresses(user))
    return LicenseTransfer.objects.filter(mine).distinct()


def _collect_transfers(user) -> list[dict]:
    addresses = set(email_addresses(user))
    return [
        {
            "licenses": [license.reference for license in transfer.licenses.all()],
            "from_organization": transfer.from_organization.name,
            "to_organization": transfer.to_organization.name if transfer.to_organization else None,
            "offered_by_you": transfer.offered_by_id == user.pk,
            "recipient_email": transfer.recipient_email if transfer.recipient_email in addresses else None,
            "accepted_or_withdrawn_by_you": transfer.decided_by_id == user.pk,
            "state": transfer.state,
            "offered_at": transfer.created_at.isoformat(),
            "expires_at": transfer.expires_at.isoformat(),
            "decided_at": transfer.decided_at.isoformat() if transfer.decided_at else None,
        }
        for transfer in _transfers_of(user)
        .select_related("from_organization", "to_organization")
        .prefetch_related("licenses")
        .order_by("created_at", "id")
    ]


def _erase_transfers(user) -> None:
    # Offers to the person can no longer be accepted (that needs their account): withdrawn, and
    # the address goes from every offer. Offers from their personal organization end too: its
    # licenses are unassigned by the licenses section next. The organizations keep the record of
    # what moved where, without the person.
    now = timezone.now()
    addresses = email_addresses(user)
    open_offers = Q(recipient_email__in=addresses) | Q(from_organization__personal_for=user)
    LicenseTransfer.objects.filter(open_offers, state=LicenseTransfer.State.PENDING).update(
        state=LicenseTransfer.State.WITHDRAWN, decided_at=now
    )
    LicenseTransfer.objects.filter(recipient_email__in=addresses).update(recipient_email="")
    LicenseTransfer.objects.filter(offered_by=user).update(offered_by=None)
    LicenseTransfer.objects.filter(decided_by=user).update(decided_by=None)


register(
    PersonalData(
        key="license_transfers",
        title="License transfers",
        explanation=(
            "Transfer offers you made for an organization, offers sent to your email address, and the "
            "transfers you accepted or withdrew: the licenses, both organizations, the dates and the "
            "state. The members of the offering organization see the address an offer was sent to; "
            "the recipient sees who offered it."
        ),
        models=(LicenseTransfer,),
        collect=_collect_transfers,
        erase=_erase_transfers,
        order=32,
        kept_after_deletion=(
            "Completed transfers stay on record for both organizations, without your name or address; "
            "pending offers to you or from your own account are withdrawn."
        ),
    )
)
