"""Offline (air-gapped) activation and deactivation requests.

A VMS without internet writes a request; the customer carries it to any computer, uploads
or pastes it on the license page, and brings back the certificate (or receipt). The
format is specified in ``docs/vms-client.md``:

    armour     -----BEGIN KALYTERA ACTIVATION REQUEST-----  (or DEACTIVATION REQUEST)
    container  "KALR" | version 0x01 | payload length (uint32 BE) | payload | SHA-256 of all before it
    payload    canonical JSON

The SHA-256 is a checksum, not a signature: it catches a request cut off or garbled on
the way, while the customer's login on the platform is what authorises it. The platform
parses uploads with :func:`parse_request`, the one reader of this format.
"""

import hashlib
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from kalytera_client.armor import (
    ArmorError,
    armor,
    canonical_json,
    dearmor,
    parse_canonical_json,
    starts_armored,
)
from kalytera_client.identity import MAX_COMPONENTS, MachineIdentity

ACTIVATION_REQUEST = "activation-request"
DEACTIVATION_REQUEST = "deactivation-request"
LABELS = {ACTIVATION_REQUEST: "ACTIVATION REQUEST", DEACTIVATION_REQUEST: "DEACTIVATION REQUEST"}
_TYPE_BY_LABEL = {label: request_type for request_type, label in LABELS.items()}

MAGIC = b"KALR"
VERSION = 1
HEADER = struct.Struct(">4sBI")
CHECKSUM_SIZE = 32
MAX_PAYLOAD = 4096
MAX_NAME = 100

_HEX64 = re.compile(r"[0-9a-f]{64}")
_NONCE = re.compile(r"[0-9a-f]{32}")
_VERSION_TEXT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,31}")  # as product_version in the API
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_CERTIFICATE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_FIELDS = {
    ACTIVATION_REQUEST: {
        "typ",
        "v",
        "fingerprint",
        "components",
        "name",
        "product_version",
        "nonce",
        "created_at",
    },
    DEACTIVATION_REQUEST: {"typ", "v", "fingerprint", "certificate_id", "nonce", "created_at"},
}


class OfflineRequestError(ValueError):
    """A request that cannot be used. ``code`` is stable, ``message`` tells a customer what to do."""

    MALFORMED = "MALFORMED"
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    WRONG_TYPE = "WRONG_TYPE"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ActivationRequest:
    fingerprint: str
    components: tuple[str, ...]
    name: str | None
    product_version: str | None
    nonce: str
    created_at: datetime


@dataclass(frozen=True)
class DeactivationRequest:
    fingerprint: str
    certificate_id: str | None
    nonce: str
    created_at: datetime


# --- Writing (the VMS) ------------------------------------------------------------------------------


def activation_request(
    identity: MachineIdentity,
    *,
    name: str | None = None,
    product_version: str | None = None,
    now: datetime | None = None,
    nonce: str | None = None,
) -> str:
    """The armoured activation request of this machine, ready to save as a file or to copy."""
    payload = {
        "typ": ACTIVATION_REQUEST,
        "v": VERSION,
        "fingerprint": identity.fingerprint,
        "components": sorted(identity.components),
        "name": name,
        "product_version": product_version,
        "nonce": nonce or secrets.token_hex(16),
        "created_at": _timestamp(now),
    }
    _check_activation(payload)
    return _write(ACTIVATION_REQUEST, payload)


def deactivation_request(
    identity: MachineIdentity,
    *,
    certificate_id: str | None = None,
    now: datetime | None = None,
    nonce: str | None = None,
) -> str:
    """The armoured request to free this machine's seat; the VMS must stop using its certificate."""
    payload = {
        "typ": DEACTIVATION_REQUEST,
        "v": VERSION,
        "fingerprint": identity.fingerprint,
        "certificate_id": certificate_id,
        "nonce": nonce or secrets.token_hex(16),
        "created_at": _timestamp(now),
    }
    _check_deactivation(payload)
    return _write(DEACTIVATION_REQUEST, payload)


def _write(request_type: str, payload: dict) -> str:
    body = canonical_json(payload)
    unchecked = HEADER.pack(MAGIC, VERSION, len(body)) + body
    return armor(LABELS[request_type], unchecked + hashlib.sha256(unchecked).digest())


def _timestamp(now: datetime | None) -> str:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Reading (the platform) -----------------------------------------------------------------------------


def parse_request(
    text: str | bytes, *, expected_type: str = ACTIVATION_REQUEST
) -> ActivationRequest | DeactivationRequest:
    """Parse an uploaded or pasted request; raise :class:`OfflineRequestError` for anything else.

    Only the format is judged here. Replays (a nonce seen before), stale requests and the
    licensing rules are the platform's business.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise OfflineRequestError(
                OfflineRequestError.MALFORMED, "This file is not a Kalytera request (it is not text)."
            ) from None
    try:
        label, container = dearmor(text)
    except ArmorError as exc:
        if starts_armored(text):
            # It starts as a request should: the end was lost in copying, not the wrong document.
            raise OfflineRequestError(
                OfflineRequestError.CHECKSUM_MISMATCH,
                "The request is cut off: it starts correctly, but its end is missing or damaged. "
                "Copy all of it, from the -----BEGIN line to the -----END line.",
            ) from None
        raise OfflineRequestError(
            OfflineRequestError.MALFORMED, f"This is not a Kalytera request: {exc}"
        ) from None
    request_type = _TYPE_BY_LABEL.get(label)
    if request_type is None:
        raise OfflineRequestError(
            OfflineRequestError.WRONG_TYPE,
            f"This is a KALYTERA {label}; a KALYTERA {LABELS[expected_type]} is needed here.",
        )
    if len(container) < HEADER.size + CHECKSUM_SIZE:
        raise OfflineRequestError(
            OfflineRequestError.CHECKSUM_MISMATCH, "The request is cut off; copy all of it."
        )
    magic, version, length = HEADER.unpack_from(container)
    if magic != MAGIC:
        raise OfflineRequestError(OfflineRequestError.MALFORMED, "This is not a Kalytera request.")
    if hashlib.sha256(container[:-CHECKSUM_SIZE]).digest() != container[-CHECKSUM_SIZE:]:
        raise OfflineRequestError(
            OfflineRequestError.CHECKSUM_MISMATCH,
            "The request was cut off or changed on the way; copy all of it.",
        )
    if version != VERSION:
        raise OfflineRequestError(
            OfflineRequestError.UNSUPPORTED_VERSION,
            f"The request has format version {version}; update the platform or write a version 1 request.",
        )
    if length > MAX_PAYLOAD or len(container) != HEADER.size + length + CHECKSUM_SIZE:
        raise OfflineRequestError(OfflineRequestError.MALFORMED, "The request has a wrong length.")
    try:
        payload = parse_canonical_json(container[HEADER.size : -CHECKSUM_SIZE])
    except ValueError:
        raise OfflineRequestError(
            OfflineRequestError.MALFORMED, "The request content is not valid."
        ) from None
    if payload.get("typ") != request_type or payload.get("v") != VERSION:
        raise OfflineRequestError(
            OfflineRequestError.MALFORMED, "The request content does not match its label."
        )
    if request_type != expected_type:
        raise OfflineRequestError(
            OfflineRequestError.WRONG_TYPE,
            f"This is a KALYTERA {LABELS[request_type]}; a KALYTERA {LABELS[expected_type]} is needed here.",
        )
    try:
        if request_type == ACTIVATION_REQUEST:
            _check_activation(payload)
            return ActivationRequest(
                fingerprint=payload["fingerprint"],
                components=tuple(payload["components"]),
                name=payload["name"],
                product_version=payload["product_version"],
                nonce=payload["nonce"],
                created_at=_parse_timestamp(payload["created_at"]),
            )
        _check_deactivation(payload)
        return DeactivationRequest(
            fingerprint=payload["fingerprint"],
            certificate_id=payload["certificate_id"],
            nonce=payload["nonce"],
            created_at=_parse_timestamp(payload["created_at"]),
        )
    except ValueError as exc:
        raise OfflineRequestError(
            OfflineRequestError.MALFORMED, f"The request content is not valid: {exc}"
        ) from None


def _check_common(payload: dict, request_type: str) -> None:
    if set(payload) != _FIELDS[request_type]:
        raise ValueError(f"fields must be exactly {sorted(_FIELDS[request_type])}")
    if not isinstance(payload["fingerprint"], str) or not _HEX64.fullmatch(payload["fingerprint"]):
        raise ValueError("fingerprint must be 64 lower-case hex digits")
    if not isinstance(payload["nonce"], str) or not _NONCE.fullmatch(payload["nonce"]):
        raise ValueError("nonce must be 32 lower-case hex digits")
    if not isinstance(payload["created_at"], str) or not _TIMESTAMP.fullmatch(payload["created_at"]):
        raise ValueError("created_at must be a UTC timestamp like 2026-11-23T17:00:00Z")
    _parse_timestamp(payload["created_at"])


def _check_activation(payload: dict) -> None:
    _check_common(payload, ACTIVATION_REQUEST)
    components = payload["components"]
    if (
        not isinstance(components, list)
        or len(components) > MAX_COMPONENTS
        or not all(isinstance(item, str) and _HEX64.fullmatch(item) for item in components)
        or components != sorted(set(components))
    ):
        raise ValueError(f"components must be at most {MAX_COMPONENTS} distinct, sorted SHA-256 hex digests")
    name = payload["name"]
    if name is not None and (
        not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or not name.isprintable()
    ):
        raise ValueError(f"name must be printable text of 1 to {MAX_NAME} characters")
    version = payload["product_version"]
    if version is not None and (not isinstance(version, str) or not _VERSION_TEXT.fullmatch(version)):
        raise ValueError("product_version must look like 6.2.1")


def _check_deactivation(payload: dict) -> None:
    _check_common(payload, DEACTIVATION_REQUEST)
    certificate_id = payload["certificate_id"]
    if certificate_id is not None and (
        not isinstance(certificate_id, str) or not _CERTIFICATE_ID.fullmatch(certificate_id)
    ):
        raise ValueError("certificate_id must be the id of a certificate")


def _parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
