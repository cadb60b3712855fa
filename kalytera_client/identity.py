"""Machine identity without identification: keyed digests of the identifiers a VMS reads.

The VMS reads raw identifiers (the OS machine id, board and disk serials, NIC addresses)
and passes them here; only HMAC-SHA256 digests keyed with an application-specific key
ever leave the machine. The key makes the digests useless for joining against other
vendors' data; the platform hashes them again with its own secret before storing them.
"""

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

# The application key of the Kalytera VMS. Another product built on this client passes its own.
APPLICATION_KEY = b"kalytera-vms/machine-identity/v1"
MAX_COMPONENTS = 16
# The derivation as every document states it (docs/api.md, docs/vms-client.md, the API's
# OpenAPI document); a test recomputes the test vectors from each document's text.
DERIVATION = f"""\
normalise(x)   = UTF-8 of x after: removing surrounding whitespace, Unicode NFC, lower-casing
fingerprint    = HMAC-SHA256(key = application key, message = "fingerprint" 0x00 normalise(machine id))
component      = HMAC-SHA256(key = application key, message = "component" 0x00 name 0x00 normalise(value))
application key (Kalytera VMS) = ASCII "{APPLICATION_KEY.decode("ascii")}"
"""
COMPONENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True)
class MachineIdentity:
    """What the VMS may send: the fingerprint and up to 16 component digests (64 hex each)."""

    fingerprint: str
    components: tuple[str, ...] = ()


def normalise(value: str) -> bytes:
    """Identifiers are compared after NFC, trimming and lower-casing (serials differ in case by tool)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("An identifier must be non-empty text.")
    return unicodedata.normalize("NFC", value.strip()).lower().encode("utf-8")


def fingerprint(machine_id: str, *, application_key: bytes = APPLICATION_KEY) -> str:
    """``HMAC-SHA256(application_key, "fingerprint" NUL machine_id)`` as 64 lower-case hex digits."""
    return hmac.new(application_key, b"fingerprint\0" + normalise(machine_id), hashlib.sha256).hexdigest()


def short_id(fingerprint: str) -> str:
    """The machine id people compare: the fingerprint's first 8 hex digits, as ``cd29-cac2``.

    The platform shows the same on the license page next to the machine's name, so an
    operator can tell which server is which; 32 bits of a keyed digest reveal nothing of
    the machine identifier it was derived from.
    """
    return f"{fingerprint[:4]}-{fingerprint[4:8]}".lower()


def component_digest(name: str, value: str, *, application_key: bytes = APPLICATION_KEY) -> str:
    """``HMAC-SHA256(application_key, "component" NUL name NUL value)``: one hardware part."""
    if not COMPONENT_NAME.fullmatch(name):
        raise ValueError(
            f"Component names are short lower-case words such as 'board' or 'disk0', not {name!r}."
        )
    message = b"component\0" + name.encode("ascii") + b"\0" + normalise(value)
    return hmac.new(application_key, message, hashlib.sha256).hexdigest()


def derive(
    machine_id: str, components: dict[str, str] | None = None, *, application_key: bytes = APPLICATION_KEY
) -> MachineIdentity:
    """The identity of a machine from its raw identifiers; the raw values are not kept.

    ``components`` maps a part name (``board``, ``disk0``, ``nic0`` ...) to its identifier.
    Digests are sorted, so the order in which parts were read does not matter.
    """
    components = components or {}
    if len(components) > MAX_COMPONENTS:
        raise ValueError(f"At most {MAX_COMPONENTS} components are sent.")
    digests = sorted(
        {component_digest(name, value, application_key=application_key) for name, value in components.items()}
    )
    return MachineIdentity(
        fingerprint=fingerprint(machine_id, application_key=application_key), components=tuple(digests)
    )
