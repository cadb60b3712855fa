"""What VMS servers do: activate, check in, deactivate."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kalytera import text
from kalytera.cache import CacheUnavailable
from kalytera.prepared import PreparedLookup
from kalytera_client.offline import ActivationRequest, DeactivationRequest
from licensing import certificates, crypto, keys
from licensing import usage as figures
from licensing.certificates import IssuedDocument
from licensing.models import (
    Activation,
    License,
    LicenseEvent,
    Plan,
    Release,
    TrialUse,
    UsedRequestNonce,
)
from licensing.services.common import (
    ActivationResult,
    Actor,
    Deactivation,
    LicensingError,
    ValidationResult,
    certificate_for,
    events_in_last_year,
    fingerprint_hash,
    locked_license,
    matching_components,
    parse_key,
    record,
    refuse_unusable,
)


def activate_machine(
    *,
    key: str,
    fingerprint: str,
    components: list[str] | None = None,
    label: str = "",
    product_version: str = "",
    now: datetime | None = None,
) -> ActivationResult:
    """Bind a machine to a license, or confirm or rebind an existing binding.

    The same fingerprint again returns its activation (outcome ``existing``). An unknown
    fingerprint whose components match an active activation rebinds it (``rebound``) within
    the yearly hardware-change allowance. Otherwise a new seat is taken (``created``) if one
    is free: the license row stays locked from the count to the insert.
    """
    key = parse_key(key)  # a typo is refused before any query
    return _activate(
        lock=lambda: locked_license(key),
        fingerprint=fingerprint,
        components=components or [],
        label=label,
        product_version=product_version,
        actor=Actor.machine(),
        now=now or timezone.now(),
    )


def activate_offline(
    *, license: License, request: ActivationRequest, actor: Actor, now: datetime | None = None
) -> ActivationResult:
    """Apply an air-gapped machine's activation request, uploaded by the license's owner.

    Exactly the rules of ``activate_machine``. The request's nonce is spent with the
    activation, so a request refused because every seat is taken works once one is free.
    """
    now = now or timezone.now()
    _refuse_stale(request.created_at, now)
    return _activate(
        lock=lambda: _locked_by_pk(license.pk),
        fingerprint=request.fingerprint,
        components=list(request.components),
        label=request.name or "",
        product_version=request.product_version or "",
        actor=actor,
        now=now,
        nonce=request.nonce,
    )


@dataclass(frozen=True)
class _Binding:
    """What one activation request asks for, with the keyed hashes the rules compare."""

    fingerprint: str
    fp_hash: str
    component_hashes: list[str]
    label: str
    product_version: str
    actor: Actor
    now: datetime

    def refresh(self, activation: Activation) -> None:
        _refresh(
            activation,
            label=self.label,
            product_version=self.product_version,
            components=self.component_hashes,
            now=self.now,
        )

    def record(self, license: License, kind: str, activation: Activation, **detail) -> None:
        record(license, kind, self.actor, activation=activation, now=self.now, **detail)

    def result(self, activation: Activation, license: License, outcome: str) -> ActivationResult:
        return ActivationResult(
            activation, license, outcome, certificate_for(license, self.fingerprint, self.now)
        )


def _activate(
    *,
    lock: Callable[[], License],
    fingerprint: str,
    components: list[str],
    label: str,
    product_version: str,
    actor: Actor,
    now: datetime,
    nonce: str = "",
) -> ActivationResult:
    if text.problem(label):  # the API's schema refuses them first; an offline request reaches here
        raise LicensingError(text.INVALID_CHARACTERS, f"The machine name: {text.problem(label)}")
    binding = _Binding(
        fingerprint=fingerprint,
        fp_hash=fingerprint_hash(fingerprint),
        component_hashes=sorted({fingerprint_hash(c) for c in components}),
        label=label,
        product_version=product_version,
        actor=actor,
        now=now,
    )
    with transaction.atomic():
        license = lock()
        if nonce:
            _spend_nonce(license, nonce, now)
        refuse_unusable(license, now)
        active = _ACTIVE_MACHINES_OF.all(license_id=license.pk)
        current = next((a for a in active if a.fingerprint_hash == binding.fp_hash), None)
        if current is not None:
            binding.refresh(current)
            return binding.result(current, license, "existing")
        candidates = [
            (a, matching_components(a.component_hashes, set(binding.component_hashes))) for a in active
        ]
        previous, matched = max(candidates, key=lambda pair: pair[1], default=(None, 0))
        if previous is None or not matched:
            return _take_seat(license, len(active), binding)
        outcome = _rebind(license, previous, matched, binding)
        if isinstance(outcome, ActivationResult):
            return outcome
    raise outcome  # after the commit, so that the refusal stays in the history


def _rebind(
    license: License, previous: Activation, matched: int, binding: _Binding
) -> ActivationResult | LicensingError:
    """Move ``previous`` to the new fingerprint (a hardware change), within the yearly allowance."""
    allowed = license.plan.hardware_changes_per_year
    used = events_in_last_year(license, LicenseEvent.Kind.HARDWARE_CHANGED, binding.now, up_to=allowed)
    if used >= allowed:
        binding.record(license, LicenseEvent.Kind.HARDWARE_CHANGE_REFUSED, previous, allowed_per_year=allowed)
        return LicensingError(
            "HARDWARE_CHANGE_LIMIT",
            f"This machine looks like '{previous}' with changed hardware, but the "
            f"{allowed} hardware changes a year of this license are used up; contact support.",
        )
    previous.fingerprint_hash = binding.fp_hash
    previous.fingerprint_sealed = crypto.seal("fingerprint", binding.fingerprint.lower())
    binding.refresh(previous)
    of = len(binding.component_hashes)
    binding.record(license, LicenseEvent.Kind.HARDWARE_CHANGED, previous, matched=matched, of=of)
    return binding.result(previous, license, "rebound")


def _take_seat(license: License, active_count: int, binding: _Binding) -> ActivationResult:
    """A new activation, if a seat is free (the caller holds the license's row lock)."""
    _claim_trial_seat(license, binding.fp_hash, binding.now)
    if active_count >= license.max_machines:
        raise LicensingError(
            "TOO_MANY_MACHINES",
            _seats_taken(license.max_machines),
        )
    activation = Activation.objects.create(
        license=license,
        fingerprint_hash=binding.fp_hash,
        component_hashes=binding.component_hashes,
        fingerprint_sealed=crypto.seal("fingerprint", binding.fingerprint.lower()),
        label=binding.label,
        product_version=binding.product_version,
        first_seen_at=binding.now,
        last_seen_at=binding.now,
    )
    binding.record(license, LicenseEvent.Kind.ACTIVATED, activation)
    return binding.result(activation, license, "created")


def _refresh(
    activation: Activation, *, label: str, product_version: str, components: list[str], now: datetime
) -> None:
    activation.last_seen_at = now
    fields = ["last_seen_at", "fingerprint_hash", "fingerprint_sealed"]
    if label:
        activation.label = label
        fields.append("label")
    if product_version:
        activation.product_version = product_version
        fields.append("product_version")
    if components:
        activation.component_hashes = components
        fields.append("component_hashes")
    activation.save(update_fields=fields)


def _claim_trial_seat(license: License, fp_hash: str, now: datetime) -> None:
    if license.kind != Plan.Kind.TRIAL:
        return
    product = license.plan.product
    used, created = TrialUse.objects.get_or_create(
        product=product, fingerprint_hash=fp_hash, defaults={"license": license, "created_at": now}
    )
    if not created and used.license_id != license.pk:
        raise LicensingError("TRIAL_ALREADY_USED", f"This machine has already run a trial of {product}.")


# The lookups of every check-in, activation and deactivation, compiled once per process:
# for these the ORM's compilation cost more CPU than PostgreSQL's answer (kalytera.prepared).
_ACTIVE_MACHINES_OF = PreparedLookup(
    Activation,
    lambda license_id: Activation.objects.filter(license_id=license_id, is_active=True),
    license_id=int,
)
_ACTIVE_MACHINE_OF = PreparedLookup(
    Activation,
    lambda license_id, fingerprint_hash: Activation.objects.filter(
        license_id=license_id, fingerprint_hash=fingerprint_hash, is_active=True
    ).order_by()[:1],
    license_id=int,
    fingerprint_hash=str,
)
_ACTIVE_MACHINE = PreparedLookup(
    Activation,
    lambda key_hash, fingerprint_hash: (
        Activation.objects.select_related("license__plan__product")
        .filter(license__key_hash=key_hash, fingerprint_hash=fingerprint_hash, is_active=True)
        .order_by()[:1]
    ),  # at most one active row per license and fingerprint (a unique constraint)
    key_hash=str,
    fingerprint_hash=str,
)


def validate(
    *,
    key: str,
    fingerprint: str,
    components: list[str] | None = None,
    product_version: str = "",
    usage: dict[str, int] | None = None,
    now: datetime | None = None,
) -> ValidationResult:
    """Check a machine in. Read-only except for throttled writes (last check-in, usage, refusals)."""
    now = now or timezone.now()
    key_hash = keys.lookup_hash(parse_key(key))
    # The usual check-in is one query: the machine's activation joined with its license and plan.
    activation = _ACTIVE_MACHINE.first(key_hash=key_hash, fingerprint_hash=fingerprint_hash(fingerprint))
    license: License | None
    if activation is not None:
        license = activation.license
    else:
        license = next(
            iter(License.objects.select_related("plan__product").filter(key_hash=key_hash)[:1]), None
        )
        if license is None:
            return ValidationResult(False, "LICENSE_NOT_FOUND", "No license has this key.")
    valid, code, message = _verdict(license, activation, product_version, now)
    if activation is None and code == "NOT_ACTIVATED" and components:
        message = _hardware_change_hint(license, components) or message
    if activation is not None:
        _touch(activation, product_version, now)
        figures.count_check_in(
            day=now.date(),
            product_id=license.plan.product_id,
            version=product_version or activation.product_version,
            machine=activation.pk,
        )
        if usage:
            _add_usage(activation, license, product_version, usage, now)
    if not valid:
        _record_failure(license, activation, code, now)
        return ValidationResult(False, code, message, license, activation)
    return ValidationResult(
        True, code, message, license, activation, certificate_for(license, fingerprint, now)
    )


def _hardware_change_hint(license: License, components: list[str]) -> str:
    offered = {fingerprint_hash(c) for c in components}
    for candidate in license.activations.filter(is_active=True):
        if matching_components(candidate.component_hashes, offered):
            return (
                f"This machine looks like '{candidate}' with changed hardware; activate it again "
                "to move the seat to the new hardware."
            )
    return ""


def _verdict(
    license: License, activation: Activation | None, product_version: str, now: datetime
) -> tuple[bool, str, str]:
    if license.status == License.Status.REVOKED:
        return False, "REVOKED", "This license has been revoked."
    if license.status == License.Status.SUSPENDED:
        return False, "SUSPENDED", "This license is suspended; contact support."
    if activation is None:
        return False, "NOT_ACTIVATED", "This machine is not activated on this license; activate it first."
    state = license.runtime_state(now)
    if state == "expired":
        return False, "EXPIRED", "This license has expired; renew it to keep recording."
    if license.kind == Plan.Kind.PERPETUAL and product_version:
        release = Release.objects.filter(product=license.plan.product_id, version=product_version).first()
        if release is not None and not license.covers_release(release.released_on):
            return (
                False,
                "VERSION_NOT_COVERED",
                f"Version {product_version} was released after the upgrade plan ended on "
                f"{license.upgrade_plan_until:%Y-%m-%d}; install an earlier version "
                "or renew the upgrade plan.",
            )
    if state == "grace":
        return (
            True,
            "GRACE_PERIOD",
            f"This license expired; it keeps working until "
            f"{license.grace_ends_at:%Y-%m-%d %H:%M} UTC. Renew it.",
        )
    return True, "VALID", "The license is valid."


def _touch(activation: Activation, product_version: str, now: datetime) -> None:
    """Write the check-in time only when it is stale or the version changed: one conditional UPDATE."""
    cutoff = now - timedelta(seconds=settings.LICENSING_CHECKIN_WRITE_SECONDS)
    if activation.last_seen_at >= cutoff and product_version in ("", activation.product_version):
        return  # the row just read is fresh: the usual check-in writes nothing and sends no UPDATE
    changes: dict = {"last_seen_at": now}
    stale = Q(last_seen_at__lt=cutoff)
    if product_version:
        changes["product_version"] = product_version
        stale |= ~Q(product_version=product_version)
    Activation.objects.filter(stale, pk=activation.pk).update(**changes)


def _add_usage(activation: Activation, license: License, version: str, usage: dict[str, int], now) -> None:
    """Add opt-in counts to today's totals, at most once a day per machine; the totals keep no link."""
    today = now.date()
    reported = Activation.objects.filter(
        Q(usage_reported_on__isnull=True) | Q(usage_reported_on__lt=today), pk=activation.pk
    ).update(usage_reported_on=today)
    if reported:
        figures.add_usage(day=today, product_id=license.plan.product_id, version=version, usage=usage)


def _record_failure(license: License, activation: Activation | None, code: str, now: datetime) -> None:
    # A machine stuck in a refusal checks in again and again; one entry an hour tells the story.
    # Without Redis every refusal is recorded: a longer story rather than a lost one.
    try:
        first = cache.add(
            f"licensing:refused:{license.pk}:{activation.pk if activation else 0}:{code}", 1, 3600
        )
    except CacheUnavailable:
        first = True
    if first:
        record(
            license,
            LicenseEvent.Kind.VALIDATION_FAILED,
            Actor.machine(),
            activation=activation,
            now=now,
            code=code,
        )


def deactivate_machine(*, key: str, fingerprint: str, now: datetime | None = None) -> Deactivation:
    """Release a machine's seat at the VMS's request and return a signed receipt.

    Idempotent for a retry: when the machine's last deactivation came from the API within
    ``DEACTIVATION_RETRY_WINDOW`` (the answer may have been lost after the commit), the same
    receipt is returned again instead of ``NOT_ACTIVATED``.
    """
    now = now or timezone.now()
    key = parse_key(key)  # a typo is refused before any query
    fp_hash = fingerprint_hash(fingerprint)
    with transaction.atomic():
        license = locked_license(key)
        activation = _ACTIVE_MACHINE_OF.first(license_id=license.pk, fingerprint_hash=fp_hash)
        if activation is None:
            return _repeated_deactivation(license, fp_hash, fingerprint, now)
        receipt_id, issued_at = str(uuid.uuid4()), now.replace(microsecond=0)
        refusal = _release(
            license,
            activation,
            Actor.machine(),
            now,
            receipt_id=receipt_id,
            receipt_issued_at=issued_at.isoformat(),
        )
        if refusal is None:
            receipt = certificates.issue_deactivation_receipt(
                license_id=str(license.public_id),
                fingerprint=fingerprint.lower(),
                deactivated_at=now,
                document_id=receipt_id,
                issued_at=issued_at,
            )
            return Deactivation(activation, receipt)
    raise refusal


# How long a VMS may retry a deactivation whose answer it did not receive.
DEACTIVATION_RETRY_WINDOW = timedelta(hours=24)


def _repeated_deactivation(license: License, fp_hash: str, fingerprint: str, now: datetime) -> Deactivation:
    last = (
        LicenseEvent.objects.filter(
            license=license, kind=LicenseEvent.Kind.DEACTIVATED, activation__fingerprint_hash=fp_hash
        )
        .select_related("activation")
        .first()
    )
    if last is None or "receipt_id" not in last.detail or last.created_at < now - DEACTIVATION_RETRY_WINDOW:
        raise LicensingError("NOT_ACTIVATED", "This machine is not activated on this license.")
    activation = last.activation
    assert activation is not None and activation.released_at is not None  # a receipt names its machine
    receipt = certificates.issue_deactivation_receipt(
        license_id=str(license.public_id),
        fingerprint=fingerprint.lower(),
        deactivated_at=activation.released_at,
        document_id=last.detail["receipt_id"],
        issued_at=datetime.fromisoformat(last.detail["receipt_issued_at"]),
    )
    return Deactivation(activation, receipt)


def deactivate_offline(
    *, license: License, request: DeactivationRequest, actor: Actor, now: datetime | None = None
) -> Deactivation:
    """Apply an air-gapped machine's deactivation request and return the receipt to carry back."""
    now = now or timezone.now()
    _refuse_stale(request.created_at, now)
    with transaction.atomic():
        locked = _locked_by_pk(license.pk)
        _spend_nonce(locked, request.nonce, now)
        activation = locked.activations.filter(
            is_active=True, fingerprint_hash=fingerprint_hash(request.fingerprint)
        ).first()
        if activation is None:
            raise LicensingError(
                "NOT_ACTIVATED", "The machine of this request is not active on this license."
            )
        refusal = _release(locked, activation, actor, now)
        if refusal is None:
            receipt = certificates.issue_deactivation_receipt(
                license_id=str(locked.public_id), fingerprint=request.fingerprint, deactivated_at=now
            )
            return Deactivation(activation, receipt)
    raise refusal


OFFLINE_REQUEST_MAX_AGE = timedelta(days=30)


def _refuse_stale(created_at: datetime, now: datetime) -> None:
    if created_at < now - OFFLINE_REQUEST_MAX_AGE:
        raise LicensingError(
            "REQUEST_EXPIRED", "This request is more than 30 days old; write a new one on the server."
        )
    if created_at > now + timedelta(days=1):
        raise LicensingError(
            "REQUEST_FROM_THE_FUTURE", "This request is dated in the future; check the server's clock."
        )


def _spend_nonce(license: License, nonce: str, now: datetime) -> None:
    # The unique nonce makes each request usable once, even when uploaded twice at the same time.
    _, created = UsedRequestNonce.objects.get_or_create(
        nonce=nonce, defaults={"license": license, "used_at": now}
    )
    if not created:
        raise LicensingError(
            "REQUEST_ALREADY_USED", "This request was used already; write a new one on the server."
        )


def _locked_by_pk(pk: int) -> License:
    return License.objects.select_for_update(of=("self",)).select_related("plan__product").get(pk=pk)


def release_machine(
    *, license: License, activation_id, actor: Actor, now: datetime | None = None
) -> Activation:
    """Deactivate a machine from the customer pages (a move)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = License.objects.select_for_update(of=("self",)).select_related("plan").get(pk=license.pk)
        activation = locked.activations.filter(public_id=activation_id, is_active=True).first()
        if activation is None:
            raise LicensingError("NOT_ACTIVATED", "This machine is not active on this license any more.")
        refusal = _release(locked, activation, actor, now)
        if refusal is None:
            return activation
    raise refusal


def _release(
    license: License, activation: Activation, actor: Actor, now: datetime, **detail
) -> LicensingError | None:
    allowed = license.plan.moves_per_year
    if events_in_last_year(license, LicenseEvent.Kind.DEACTIVATED, now, up_to=allowed) >= allowed:
        record(license, LicenseEvent.Kind.MOVE_REFUSED, actor, activation=activation, now=now)
        return LicensingError(
            "MOVE_LIMIT",
            f"The {allowed} moves a year of this license are used up; contact support to move a machine.",
        )
    activation.is_active = False
    activation.released_at = now
    activation.save(update_fields=["is_active", "released_at"])
    record(license, LicenseEvent.Kind.DEACTIVATED, actor, activation=activation, now=now, **detail)
    return None


def machine_certificate(*, activation: Activation, now: datetime | None = None) -> IssuedDocument:
    """A fresh certificate for an active machine, for the customer to carry to it."""
    now = now or timezone.now()
    license = activation.license
    if not activation.is_active:
        raise LicensingError("NOT_ACTIVATED", "This machine is deactivated; it has no current certificate.")
    refuse_unusable(license, now)
    return certificate_for(license, crypto.unseal("fingerprint", activation.fingerprint_sealed), now)


def _seats_taken(seats: int) -> str:
    if seats == 1:
        return "The one seat of this license is taken; deactivate its machine first."
    return f"All {seats} seats of this license are taken; deactivate a machine first."
