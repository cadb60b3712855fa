"""Signed documents for VMS servers: license certificates, deactivation receipts and the
signatures of release artifacts (installer files, ``docs/release-artifact.md``).

This module only signs and verifies; which machine gets which certificate is decided in
``licensing.services``. The format is specified in ``docs/license-certificate.md``:

    armour   -----BEGIN KALYTERA LICENSE CERTIFICATE-----  (or DEACTIVATION RECEIPT)
             base64 of the container, 64 characters a line
             -----END KALYTERA LICENSE CERTIFICATE-----
    container  "KALY" | version 0x01 | kid (8 bytes) | payload length (uint32 BE) | payload | signature
    payload    the claims as canonical JSON (RFC 8785 with integers only)
    signature  Ed25519 over every container byte before it

``kalytera_client.verify`` is a second implementation written from the document alone; the
published test vectors are checked against both, which keeps the document honest.
"""

import base64
import binascii
import json
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cryptography.exceptions import InvalidSignature

from licensing import signing_keys

FORMAT_VERSION = 1
MAGIC = b"KALY"
HEADER = struct.Struct(">4sB8sI")  # magic, container version, kid, payload length
SIGNATURE_SIZE = 64
MAX_PAYLOAD = 8192
MAX_ARMOR_CHARS = 32768
LINE_WIDTH = 64

CERTIFICATE = "license-certificate"
DEACTIVATION_RECEIPT = "deactivation-receipt"
RELEASE_ARTIFACT = "release-artifact"
ARMOR_LABELS = {
    CERTIFICATE: "KALYTERA LICENSE CERTIFICATE",
    DEACTIVATION_RECEIPT: "KALYTERA DEACTIVATION RECEIPT",
    RELEASE_ARTIFACT: "KALYTERA RELEASE ARTIFACT",
}
_TYPE_BY_LABEL = {label: doc_type for doc_type, label in ARMOR_LABELS.items()}

KINDS = ("subscription", "perpetual", "trial")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
SHA256 = FINGERPRINT  # a digest in lower-case hex
PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
FEATURE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BASE64_LINE = re.compile(r"^[A-Za-z0-9+/=]+$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# The claims of each document type and the JSON types they must have ("?" allows null).
CLAIMS = {
    CERTIFICATE: {
        "typ": "str",
        "v": "int",
        "id": "str",
        "license_id": "str",
        "plan": "str",
        "kind": "str",
        "channels": "int",
        "features": "list",
        "fingerprint": "str",
        "issued_at": "timestamp",
        "valid_until": "timestamp",
        "expires_at": "timestamp?",
        "upgrade_plan_until": "date?",
        "grace_days": "int",
    },
    DEACTIVATION_RECEIPT: {
        "typ": "str",
        "v": "int",
        "id": "str",
        "license_id": "str",
        "fingerprint": "str",
        "deactivated_at": "timestamp",
        "issued_at": "timestamp",
    },
    RELEASE_ARTIFACT: {
        "typ": "str",
        "v": "int",
        "product": "str",
        "version": "str",
        "platform": "str",
        "filename": "str",
        "size": "int",
        "sha256": "str",
    },
}


class CertificateError(Exception):
    """A document that cannot be trusted. ``code`` is stable; the message is for people."""

    MALFORMED = "MALFORMED"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    WRONG_TYPE = "WRONG_TYPE"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class IssuedDocument:
    document_id: str
    kid: str
    issued_at: datetime
    armored: str


# --- Issuing -------------------------------------------------------------------------------------


def issue_certificate(
    *,
    license_id: str,
    plan: str,
    kind: str,
    channels: int,
    features: list[str],
    fingerprint: str,
    expires_at: datetime | None,
    upgrade_plan_until: date | None,
    grace_days: int,
    offline_validity_days: int,
    now: datetime | None = None,
) -> IssuedDocument:
    """Sign a license certificate for one machine with the active signing key.

    ``valid_until`` is ``issued_at`` plus ``offline_validity_days``: the VMS must check in
    (online or with a new offline request) before then. Raises ``ValueError`` for claims
    that the format cannot carry, and ``SigningKeyError`` when no key is configured.
    """
    issued_at = _whole_seconds(now or datetime.now(UTC))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}.")
    for name, value, minimum in (
        ("channels", channels, 0),
        ("grace_days", grace_days, 0),
        ("offline_validity_days", offline_validity_days, 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 1_000_000:
            raise ValueError(f"{name} must be a whole number from {minimum} to 1000000, not {value!r}.")
    bad_features = [
        feature for feature in features if not isinstance(feature, str) or not FEATURE.match(feature)
    ]
    if bad_features:
        raise ValueError(f"Feature codes must be lower-case letters, digits, '_', '.', '-': {bad_features}.")
    if upgrade_plan_until is not None and isinstance(upgrade_plan_until, datetime):
        raise ValueError("upgrade_plan_until is a date, not a datetime.")
    document_id = str(uuid.uuid4())
    claims = {
        "typ": CERTIFICATE,
        "v": FORMAT_VERSION,
        "id": document_id,
        "license_id": _text("license_id", license_id),
        "plan": _text("plan", plan),
        "kind": kind,
        "channels": channels,
        "features": sorted(set(features)),
        "fingerprint": _fingerprint(fingerprint),
        "issued_at": _timestamp(issued_at),
        "valid_until": _timestamp(issued_at + timedelta(days=offline_validity_days)),
        "expires_at": None if expires_at is None else _timestamp(_whole_seconds(expires_at)),
        "upgrade_plan_until": None if upgrade_plan_until is None else upgrade_plan_until.isoformat(),
        "grace_days": grace_days,
    }
    return _sign(claims, issued_at)


def issue_deactivation_receipt(
    *,
    license_id: str,
    fingerprint: str,
    deactivated_at: datetime,
    document_id: str | None = None,
    issued_at: datetime | None = None,
) -> IssuedDocument:
    """Sign a receipt stating that the machine ``fingerprint`` gave up its seat on the license.

    Given the ``document_id`` and ``issued_at`` of an earlier receipt, this signs that receipt
    again: Ed25519 signatures are deterministic, so with the same key it is the same document.
    """
    issued_at = _whole_seconds(issued_at or datetime.now(UTC))
    document_id = document_id or str(uuid.uuid4())
    claims = {
        "typ": DEACTIVATION_RECEIPT,
        "v": FORMAT_VERSION,
        "id": document_id,
        "license_id": _text("license_id", license_id),
        "fingerprint": _fingerprint(fingerprint),
        "deactivated_at": _timestamp(_whole_seconds(deactivated_at)),
        "issued_at": _timestamp(issued_at),
    }
    return _sign(claims, issued_at)


def sign_artifact(
    *, product: str, version: str, platform: str, filename: str, size: int, sha256: str
) -> IssuedDocument:
    """Sign the manifest of an installer file: which product, version and platform it is, and
    its name, size and SHA-256. Deterministic (no id, no time): signing the same file again
    with the same key gives the same document.
    """
    if not isinstance(platform, str) or not PLATFORM.match(platform):
        raise ValueError("platform must be lower-case letters, digits, '_', '.', '-' (e.g. windows-x64).")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"size must be a whole number of bytes, not {size!r}.")
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits.")
    if "/" in filename or "\\" in filename:
        raise ValueError("filename must be a bare file name, without a directory.")
    claims = {
        "typ": RELEASE_ARTIFACT,
        "v": FORMAT_VERSION,
        "product": _text("product", product),
        "version": _text("version", version),
        "platform": platform,
        "filename": _text("filename", filename),
        "size": size,
        "sha256": sha256,
    }
    return _sign(claims, _whole_seconds(datetime.now(UTC)))


def canonical_json(claims: dict) -> bytes:
    """RFC 8785 canonical JSON for claims made of strings, integers, lists and null."""
    return json.dumps(
        claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def armor(doc_type: str, container: bytes) -> str:
    label = ARMOR_LABELS[doc_type]
    body = base64.b64encode(container).decode("ascii")
    lines = [body[start : start + LINE_WIDTH] for start in range(0, len(body), LINE_WIDTH)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _sign(claims: dict, issued_at: datetime) -> IssuedDocument:
    key = signing_keys.load_key_set().active
    payload = canonical_json(claims)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"The claims take {len(payload)} bytes; at most {MAX_PAYLOAD} fit a document.")
    signed = HEADER.pack(MAGIC, FORMAT_VERSION, bytes.fromhex(key.kid), len(payload)) + payload
    assert key.private_key is not None  # KeySet.active refuses a key without one
    container = signed + key.private_key.sign(signed)
    return IssuedDocument(
        document_id=claims.get("id", ""),
        kid=key.kid,
        issued_at=issued_at,
        armored=armor(claims["typ"], container),
    )


def _whole_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Datetimes in documents must be timezone-aware.")
    return moment.astimezone(UTC).replace(microsecond=0)


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(name: str, value: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 200 or not value.isprintable():
        raise ValueError(f"{name} must be printable text of 1 to 200 characters.")
    return value


def _fingerprint(value: str) -> str:
    if not isinstance(value, str) or not FINGERPRINT.match(value):
        raise ValueError("fingerprint must be 64 lower-case hex digits (an HMAC-SHA256 digest).")
    return value


# --- Verifying -----------------------------------------------------------------------------------


def verify(armored: str, *, expected_type: str = CERTIFICATE) -> dict:
    """Check a document against the published keys and return its signed claims.

    Raises :class:`CertificateError` for anything that is not a well-formed document of
    ``expected_type`` signed by one of the platform's keys (active or retired). Dates are
    not judged here: a verified certificate may be past ``valid_until`` or expired.
    """
    label, container = _dearmor(armored)
    kid, payload, signature = _split_container(container)
    key = signing_keys.load_key_set().keys.get(kid)
    if key is None:
        raise CertificateError(CertificateError.UNKNOWN_KEY, f"No published signing key has the kid {kid}.")
    try:
        key.public_key.verify(signature, container[:-SIGNATURE_SIZE])
    except InvalidSignature:
        raise CertificateError(CertificateError.BAD_SIGNATURE, "The signature does not match.") from None
    claims = _parse_claims(payload)
    if claims["typ"] != _TYPE_BY_LABEL[label] or claims["typ"] != expected_type:
        raise CertificateError(
            CertificateError.WRONG_TYPE, f"Expected a {expected_type}, got a {claims['typ']} ({label})."
        )
    return claims


def _dearmor(armored: str) -> tuple[str, bytes]:
    if not isinstance(armored, str):
        raise CertificateError(CertificateError.MALFORMED, "The document must be text.")
    if len(armored) > MAX_ARMOR_CHARS:
        raise CertificateError(CertificateError.MALFORMED, "The document is too long.")
    lines = [line.strip(" \t") for line in _LINE_BREAK.split(armored.strip(" \t\r\n"))]
    begin = re.fullmatch(r"-----BEGIN ([A-Z ]+)-----", lines[0]) if lines else None
    if begin is None or begin.group(1) not in _TYPE_BY_LABEL:
        raise CertificateError(
            CertificateError.MALFORMED, "The document does not start with a Kalytera BEGIN line."
        )
    label = begin.group(1)
    if len(lines) < 3 or lines[-1] != f"-----END {label}-----":
        raise CertificateError(CertificateError.MALFORMED, "The END line is missing or does not match BEGIN.")
    body_lines = [line for line in lines[1:-1] if line]
    if not all(_BASE64_LINE.match(line) for line in body_lines):
        raise CertificateError(CertificateError.MALFORMED, "The body holds characters outside base64.")
    body = "".join(body_lines)
    try:
        container = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError(CertificateError.MALFORMED, "The body is not valid base64.") from None
    if base64.b64encode(container).decode("ascii") != body:
        raise CertificateError(CertificateError.MALFORMED, "The body is not canonical base64.")
    return label, container


def _split_container(container: bytes) -> tuple[str, bytes, bytes]:
    if len(container) < HEADER.size + SIGNATURE_SIZE:
        raise CertificateError(CertificateError.MALFORMED, "The document is truncated.")
    magic, version, kid_bytes, length = HEADER.unpack_from(container)
    if magic != MAGIC:
        raise CertificateError(CertificateError.MALFORMED, "The document is not a Kalytera document.")
    if version != FORMAT_VERSION:
        raise CertificateError(
            CertificateError.UNSUPPORTED_VERSION, f"Container version {version} is not supported."
        )
    if length > MAX_PAYLOAD or len(container) != HEADER.size + length + SIGNATURE_SIZE:
        raise CertificateError(CertificateError.MALFORMED, "The document is truncated or has extra bytes.")
    payload = container[HEADER.size : HEADER.size + length]
    return kid_bytes.hex(), payload, container[-SIGNATURE_SIZE:]


def _parse_claims(payload: bytes) -> dict:
    try:
        claims = json.loads(payload.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_float=_no_float)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CertificateError(CertificateError.MALFORMED, "The claims are not valid JSON.") from None
    if not isinstance(claims, dict) or canonical_json(claims) != payload:
        raise CertificateError(CertificateError.MALFORMED, "The claims are not canonical JSON.")
    if claims.get("v") != FORMAT_VERSION:
        raise CertificateError(
            CertificateError.UNSUPPORTED_VERSION, f"Claims version {claims.get('v')!r} is not supported."
        )
    typ = claims.get("typ")
    schema = CLAIMS.get(typ) if isinstance(typ, str) else None
    if schema is None:
        raise CertificateError(CertificateError.WRONG_TYPE, f"Unknown document type {claims.get('typ')!r}.")
    for name, expected in schema.items():
        if name not in claims or not _has_type(claims[name], expected):
            raise CertificateError(
                CertificateError.MALFORMED, f"The claim {name!r} is missing or not a {expected}."
            )
    for name in ("fingerprint", "sha256"):
        if name in schema and not FINGERPRINT.match(claims[name]):
            raise CertificateError(
                CertificateError.MALFORMED, f"The {name} claim is not a SHA-256 hex digest."
            )
    return claims


def _has_type(value: object, expected: str) -> bool:
    if value is None:
        return expected.endswith("?")
    kind = expected.rstrip("?")
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == "list":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not isinstance(value, str):
        return False
    if kind == "timestamp":
        return bool(TIMESTAMP.match(value)) and _parses(value, "%Y-%m-%dT%H:%M:%SZ")
    if kind == "date":
        return bool(DATE.match(value)) and _parses(value, "%Y-%m-%d")
    return True


def _parses(value: str, pattern: str) -> bool:
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        return False
    return True


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_float(text: str) -> float:
    raise ValueError("numbers must be integers")


def parse_timestamp(value: str) -> datetime:
    """A claim timestamp (``2026-11-23T17:00:00Z``) as an aware datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def published_signing_keys() -> list[dict]:
    """The public keys for ``GET /api/v1/signing-keys``: the active key first, then retired ones."""
    key_set = signing_keys.load_key_set()
    ordered = sorted(
        key_set.keys.values(),
        key=lambda key: (key.kid != key_set.active_kid, -key.created.timestamp(), key.kid),
    )
    return [
        {
            "kid": key.kid,
            "alg": "Ed25519",
            "public_key": signing_keys.public_key_b64url(key),
            "status": "active" if key.kid == key_set.active_kid else "retired",
            "created": _timestamp(key.created),
        }
        for key in ordered
    ]
