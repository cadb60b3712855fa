"""Errors, actors and the small rules every licensing workflow shares."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from kalytera.errors import DomainError
from kalytera.prepared import PreparedLookup
from licensing import certificates, crypto, keys
from licensing.certificates import IssuedDocument
from licensing.models import Activation, License, LicenseEvent, Plan
from organizations.models import Organization

YEAR = timedelta(days=365)
MIN_MATCHING_COMPONENTS = 2


class LicensingError(DomainError):
    """A refused licensing action. ``code`` is stable (API and CLI); the message is for people."""


@dataclass(frozen=True)
class Actor:
    """Who did something, for the event history: a person also names the organization they acted for."""

    kind: str
    user: User | None = None
    organization: Organization | None = None

    @classmethod
    def machine(cls) -> "Actor":
        return cls(LicenseEvent.Actor.MACHINE)

    @classmethod
    def customer(cls, user, organization: Organization | None) -> "Actor":
        return cls(LicenseEvent.Actor.CUSTOMER, user, organization)

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(LicenseEvent.Actor.STAFF, user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(LicenseEvent.Actor.SYSTEM)


@dataclass(frozen=True)
class IssuedLicense:
    license: License
    key: str  # shown once to whoever issued it; only its hash and a sealed copy are stored


@dataclass(frozen=True)
class ActivationResult:
    activation: Activation
    license: License
    outcome: str  # "created", "existing" or "rebound"
    certificate: IssuedDocument


@dataclass(frozen=True)
class ValidationResult:
    valid: bool
    code: str
    message: str
    license: License | None = None
    activation: Activation | None = None
    certificate: IssuedDocument | None = None


@dataclass(frozen=True)
class Deactivation:
    activation: Activation
    receipt: IssuedDocument | None


def fingerprint_hash(digest: str) -> str:
    """The stored form of a VMS fingerprint or component digest (never the digest itself)."""
    return crypto.keyed_hash("fingerprint", digest.lower())


def record(
    license: License,
    kind: str,
    actor: Actor,
    *,
    activation: Activation | None = None,
    now: datetime | None = None,
    **detail,
) -> LicenseEvent:
    return LicenseEvent.objects.create(
        license=license,
        activation=activation,
        kind=kind,
        actor=actor.kind,
        actor_user=actor.user,
        organization=actor.organization,
        detail=detail,
        created_at=now or timezone.now(),
    )


def parse_key(key: str) -> str:
    try:
        return keys.normalize(key)
    except keys.KeyFormatError as exc:
        raise LicensingError("INVALID_LICENSE_KEY", str(exc)) from exc


# Every activation and deactivation starts here; compiled once per process (kalytera.prepared).
_LOCKED_BY_KEY = PreparedLookup(
    License,
    lambda key_hash: (
        License.objects.select_for_update(of=("self",))
        .select_related("plan__product")
        .filter(key_hash=key_hash)
        .order_by()
    ),
    key_hash=str,
)


def locked_license(key: str) -> License:
    """The license of ``key``, locked until the end of the caller's transaction."""
    license = _LOCKED_BY_KEY.first(key_hash=keys.lookup_hash(parse_key(key)))
    if license is None:
        raise LicensingError("LICENSE_NOT_FOUND", "No license has this key.")
    return license


# Allowances (moves, hardware changes) are counted on every deactivation, hardware change and
# view of a license page: up to this many uses, by rows of SQL compiled once per process
# (kalytera.prepared); only more uses than that are counted by the ORM.
_USES_COUNTED = 100
_USES_SINCE = PreparedLookup(
    LicenseEvent,
    lambda license_id, kind, since: (
        LicenseEvent.objects.filter(license_id=license_id, kind=kind, created_at__gt=since)
        .exclude(actor=LicenseEvent.Actor.STAFF)
        .only("pk")
        .order_by()[:_USES_COUNTED]
    ),
    license_id=int,
    kind=str,
    since=datetime,
)


def events_in_last_year(license: License, kind: str, now: datetime, *, up_to: int | None = None) -> int:
    """Self-service uses of an allowance in the last 365 days; what support does is not counted.

    ``up_to`` stops counting there: enough to compare with an allowance, and the count stays
    cheap for a license with a long history.
    """
    used = len(_USES_SINCE.all(license_id=license.pk, kind=kind, since=now - YEAR))
    if used < _USES_COUNTED:  # every use
        return used if up_to is None else min(used, up_to)
    if up_to is not None and up_to <= _USES_COUNTED:
        return up_to
    events = (
        license.events.filter(kind=kind, created_at__gt=now - YEAR)
        .exclude(actor=LicenseEvent.Actor.STAFF)
        .order_by()
    )
    if up_to is not None:
        events = events[:up_to]
    return events.count()


def moves_left(license: License, now: datetime | None = None) -> int:
    now = now or timezone.now()
    allowed = license.plan.moves_per_year
    return allowed - events_in_last_year(license, LicenseEvent.Kind.DEACTIVATED, now, up_to=allowed)


def refuse_unusable(license: License, now: datetime) -> None:
    if license.status == License.Status.REVOKED:
        raise LicensingError("LICENSE_REVOKED", "This license has been revoked.")
    if license.status == License.Status.SUSPENDED:
        raise LicensingError("LICENSE_SUSPENDED", "This license is suspended; contact support.")
    if license.runtime_state(now) == "expired":
        raise LicensingError("LICENSE_EXPIRED", "This license has expired; renew it to activate machines.")


def certificate_for(license: License, fingerprint: str, now: datetime) -> IssuedDocument:
    plan = license.plan
    return certificates.issue_certificate(
        license_id=str(license.public_id),
        plan=plan.code,
        kind=plan.kind,
        channels=license.channels,
        features=list(plan.features),
        fingerprint=fingerprint.lower(),
        expires_at=license.expires_at,
        upgrade_plan_until=license.upgrade_plan_until,
        grace_days=plan.grace_days,
        offline_validity_days=plan.offline_validity_days,
        now=now,
    )


def matching_components(stored: list[str], offered: set[str]) -> int:
    """How many of an activation's components the new machine still has, if that counts as a match.

    A match needs at least two parts and at least half of the parts recorded at activation:
    one shared disk is no evidence, replacing the board and a NIC of four parts still is.
    """
    matched = len(set(stored) & offered)
    if matched >= MIN_MATCHING_COMPONENTS and matched * 2 >= len(stored):
        return matched
    return 0


def refuse_second_trial(organization: Organization | None, plan: Plan) -> None:
    if plan.kind != Plan.Kind.TRIAL or organization is None:
        return
    # Serialise trials per organization: two parallel claims must not both pass the check below.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if License.objects.filter(organization=organization, trial_of=plan.product_id).exists():
        whose = "This account" if organization.is_personal else str(organization)
        raise LicensingError("TRIAL_ALREADY_USED", f"{whose} has already had a trial of {plan.product}.")
