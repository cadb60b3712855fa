"""What licensing holds about a person: their own licenses, the machines on them and their history.

A person's own licenses are those of their personal organization; a company's licenses
belong to the company, and what the person did to them is in the history (by them).

Machines are known only by keyed hashes of the digests the VMS sends (never a raw hardware
identifier), plus the label and version the VMS reports. When an account is purged, its
licenses stay valid for the sites that run on them, but no longer point to anyone.
"""

from django.db.models import Q

from kalytera.personal_data import PersonalData, register
from licensing.models import Activation, License, LicenseEvent


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
