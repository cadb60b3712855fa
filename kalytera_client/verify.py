"""Reference verifier for Kalytera license certificates and deactivation receipts.

Written from ``docs/license-certificate.md`` alone, with nothing but the standard library
and ``cryptography``, so that a VMS can embed it or port it. Two steps, as in the document:

1. :func:`read_document` proves that a text is a document the platform signed, and
   returns its claims (or raises :class:`VerificationError` with a stable code).
2. :func:`evaluate` judges a verified certificate at a moment, offline: machine
   fingerprint, clock sanity, expiry stages, check-in deadline and upgrade plan.

Command line: ``python -m kalytera_client verify cert.lic --keys keys.json``.
"""

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kalytera_client.armor import ArmorError, dearmor, parse_canonical_json

CERTIFICATE = "license-certificate"
DEACTIVATION_RECEIPT = "deactivation-receipt"
RELEASE_ARTIFACT = "release-artifact"
LABELS = {
    "LICENSE CERTIFICATE": CERTIFICATE,
    "DEACTIVATION RECEIPT": DEACTIVATION_RECEIPT,
    "RELEASE ARTIFACT": RELEASE_ARTIFACT,
}

MAGIC = b"KALY"
VERSION = 1
HEADER_SIZE = 17
SIGNATURE_SIZE = 64
MAX_PAYLOAD = 8192
CLOCK_TOLERANCE = timedelta(hours=24)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_KID = re.compile(r"[0-9a-f]{16}")
_PUBLIC_KEY = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]")  # 32 bytes, unpadded, canonical
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Required claims per document type: (name, type, may be null).
_SCHEMA = {
    CERTIFICATE: (
        ("typ", str, False),
        ("v", int, False),
        ("id", str, False),
        ("license_id", str, False),
        ("plan", str, False),
        ("kind", str, False),
        ("channels", int, False),
        ("features", list, False),
        ("fingerprint", "fingerprint", False),
        ("issued_at", "timestamp", False),
        ("valid_until", "timestamp", False),
        ("expires_at", "timestamp", True),
        ("upgrade_plan_until", "date", True),
        ("grace_days", int, False),
    ),
    DEACTIVATION_RECEIPT: (
        ("typ", str, False),
        ("v", int, False),
        ("id", str, False),
        ("license_id", str, False),
        ("fingerprint", "fingerprint", False),
        ("deactivated_at", "timestamp", False),
        ("issued_at", "timestamp", False),
    ),
    RELEASE_ARTIFACT: (
        ("typ", str, False),
        ("v", int, False),
        ("product", str, False),
        ("version", str, False),
        ("platform", str, False),
        ("filename", str, False),
        ("size", int, False),
        ("sha256", "fingerprint", False),
    ),
}


class VerificationError(Exception):
    """The document cannot be trusted. ``code`` is one of the codes of the document's table."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Document:
    type: str
    kid: str
    claims: dict


@dataclass(frozen=True)
class Status:
    """The offline judgement of a certificate. ``valid`` is what a VMS may run on."""

    code: str
    valid: bool
    message: str
    check_in_by: datetime
    expires_at: datetime | None = None
    grace_ends_at: datetime | None = None


# --- Keys -----------------------------------------------------------------------------------------


def load_keys(published: object) -> dict[str, Ed25519PublicKey]:
    """The keys of a ``GET /api/v1/signing-keys`` answer (or its ``keys`` list), by kid.

    Every entry is checked: algorithm Ed25519, 32 key bytes, and a kid that really is the
    first 16 hex digits of SHA-256 over those bytes. Active and retired keys both verify.
    """
    entries = published.get("keys") if isinstance(published, dict) else published
    if not isinstance(entries, list) or not entries:
        raise VerificationError("KEYS_INVALID", "The key file holds no list of keys.")
    keys = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or entry.get("alg") != "Ed25519":
            raise VerificationError("KEYS_INVALID", f"Key {number} is not an Ed25519 key.")
        encoded, kid = entry.get("public_key"), entry.get("kid")
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise VerificationError("KEYS_INVALID", f"Key {number} lacks a kid of 16 hex digits.")
        if not isinstance(encoded, str) or not _PUBLIC_KEY.fullmatch(encoded):
            raise VerificationError("KEYS_INVALID", f"Key {kid}: public_key is not 32 bytes in base64url.")
        raw = base64.urlsafe_b64decode(encoded + "=")
        if hashlib.sha256(raw).hexdigest()[:16] != kid:
            raise VerificationError("KEYS_INVALID", f"Key {kid}: the public key does not match its kid.")
        keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def load_keys_file(path: str) -> dict[str, Ed25519PublicKey]:
    try:
        with open(path, "rb") as handle:
            published = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise VerificationError("KEYS_INVALID", f"Cannot read the key file {path}: {exc}") from None
    return load_keys(published)


# --- Step 1: is it a document the platform signed? -------------------------------------------------


def read_document(
    text: str, keys: dict[str, Ed25519PublicKey], *, expected_type: str = CERTIFICATE
) -> Document:
    """Verify ``text`` and return its claims; raise :class:`VerificationError` otherwise."""
    try:
        label, container = dearmor(text)
    except ArmorError as exc:
        raise VerificationError("MALFORMED", str(exc)) from None
    if label not in LABELS:
        raise VerificationError("MALFORMED", f"KALYTERA {label} is not a signed document.")

    if len(container) < HEADER_SIZE + SIGNATURE_SIZE:
        raise VerificationError("MALFORMED", "The document is truncated.")
    if container[0:4] != MAGIC:
        raise VerificationError("MALFORMED", "The document does not start with KALY.")
    if container[4] != VERSION:
        raise VerificationError("UNSUPPORTED_VERSION", f"Container version {container[4]} is not supported.")
    kid = container[5:13].hex()
    length = int.from_bytes(container[13:17], "big")
    if length > MAX_PAYLOAD or len(container) != HEADER_SIZE + length + SIGNATURE_SIZE:
        raise VerificationError("MALFORMED", "The document is truncated or has extra bytes.")

    key = keys.get(kid)
    if key is None:
        raise VerificationError("UNKNOWN_KEY", f"The signing key {kid} is not among the published keys.")
    try:
        key.verify(container[-SIGNATURE_SIZE:], container[:-SIGNATURE_SIZE])
    except InvalidSignature:
        raise VerificationError("BAD_SIGNATURE", "The signature does not match the content.") from None

    try:
        claims = parse_canonical_json(container[HEADER_SIZE:-SIGNATURE_SIZE])
    except ValueError as exc:
        raise VerificationError("MALFORMED", f"The claims are not canonical JSON ({exc}).") from None
    if claims.get("v") != VERSION:
        raise VerificationError(
            "UNSUPPORTED_VERSION", f"Claims version {claims.get('v')!r} is not supported."
        )
    document_type = claims.get("typ")
    if document_type not in _SCHEMA:
        raise VerificationError("WRONG_TYPE", f"Unknown document type {document_type!r}.")
    _check_schema(claims, _SCHEMA[document_type])
    if document_type != LABELS[label] or document_type != expected_type:
        raise VerificationError("WRONG_TYPE", f"Expected a {expected_type}, got a {document_type} ({label}).")
    return Document(type=document_type, kid=kid, claims=claims)


def unverified_claims(text: str) -> dict:
    """The claims of a document WITHOUT checking its signature: for display and ids only, never to decide."""
    try:
        _, container = dearmor(text)
        if len(container) < HEADER_SIZE + SIGNATURE_SIZE or container[0:4] != MAGIC:
            raise ValueError("not a Kalytera document")
        return parse_canonical_json(container[HEADER_SIZE:-SIGNATURE_SIZE])
    except (ArmorError, ValueError) as exc:
        raise VerificationError("MALFORMED", str(exc)) from None


def _check_schema(claims: dict, schema: tuple) -> None:
    for name, kind, nullable in schema:
        if name not in claims:
            raise VerificationError("MALFORMED", f"The claim {name!r} is missing.")
        value = claims[name]
        if value is None and nullable:
            continue
        if not _is(value, kind):
            raise VerificationError("MALFORMED", f"The claim {name!r} has the wrong type or format.")


def _is(value: object, kind: object) -> bool:
    if kind is int:
        return type(value) is int and value >= 0
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not isinstance(value, str):
        return False
    if kind == "fingerprint":
        return bool(_HEX64.fullmatch(value))
    if kind == "timestamp":
        return bool(_TIMESTAMP.fullmatch(value)) and _try(parse_timestamp, value)
    if kind == "date":
        return bool(_DATE.fullmatch(value)) and _try(date.fromisoformat, value)
    return True


def _try(parse, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --- Step 2: may this machine run on it now? -----------------------------------------------------------


def evaluate(
    claims: dict,
    *,
    now: datetime,
    fingerprint: str | None = None,
    release_date: date | None = None,
    latest_trusted_time: datetime | None = None,
) -> Status:
    """Judge a verified certificate at ``now``, in the order of the document's table.

    ``fingerprint`` is this machine's own digest; ``release_date`` is the release date of
    the running product version (compared with the upgrade-plan end);
    ``latest_trusted_time`` is the latest time the VMS has seen from the platform
    (``server_time`` of an answer), to catch a clock set back. Each may be left out to
    skip its check.
    """
    if now.tzinfo is None or (latest_trusted_time is not None and latest_trusted_time.tzinfo is None):
        raise ValueError("Times must be timezone-aware.")
    issued_at = parse_timestamp(claims["issued_at"])
    trusted = max(issued_at, latest_trusted_time) if latest_trusted_time else issued_at
    check_in_by = parse_timestamp(claims["valid_until"])
    expires_at = parse_timestamp(claims["expires_at"]) if claims["expires_at"] else None
    grace_ends_at = expires_at + timedelta(days=claims["grace_days"]) if expires_at else None
    upgrade_until = date.fromisoformat(claims["upgrade_plan_until"]) if claims["upgrade_plan_until"] else None

    def status(code: str, valid: bool, message: str) -> Status:
        return Status(code, valid, message, check_in_by, expires_at, grace_ends_at)

    if fingerprint is not None and fingerprint.lower() != claims["fingerprint"]:
        return status("FINGERPRINT_MISMATCH", False, "The certificate belongs to another machine.")
    if now < trusted - CLOCK_TOLERANCE:
        return status(
            "NOT_YET_VALID", False, "The clock is more than 24 hours behind the platform's time; correct it."
        )
    if grace_ends_at is not None and now >= grace_ends_at:
        return status(
            "EXPIRED", False, f"The license expired on {claims['expires_at']} and its grace period ended."
        )
    if now >= check_in_by:
        return status(
            "CHECK_IN_REQUIRED", False, f"The certificate needed a check-in before {claims['valid_until']}."
        )
    if release_date is not None and upgrade_until is not None and release_date > upgrade_until:
        return status(
            "VERSION_NOT_COVERED",
            False,
            f"This version was released after the upgrade plan ended on {claims['upgrade_plan_until']}.",
        )
    if expires_at is not None and now >= expires_at:
        return status(
            "GRACE_PERIOD",
            True,
            f"The license expired; the grace period ends at {grace_ends_at:%Y-%m-%dT%H:%M:%SZ}.",
        )
    return status("VALID", True, f"Valid; check in before {claims['valid_until']}.")
