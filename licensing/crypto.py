"""Keyed hashes and sealed values: what keeps a database leak from revealing keys or machines.

Two secrets come from the environment and never reach the database:

* ``LICENSING_PEPPER`` keys the HMAC-SHA256 of license keys, fingerprints and components.
  The same value always gives the same hash (so lookups work), but without the pepper a
  leaked hash cannot be tested against guesses or joined with other data sets.
* ``LICENSING_ENCRYPTION_SECRET`` derives the AES-256-GCM key that seals the few values
  that must be shown or used again: the full license key (shown to its owner after
  reauthentication) and the VMS's own fingerprint digest (written into certificates).

Each use has its own label, so a value sealed for one purpose cannot be replayed as another.
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_SEAL_VERSION = "v1"


class SealError(Exception):
    """A sealed value could not be opened (wrong secret, or the value was altered)."""


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the pepper, as 64 hex characters."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(_pepper(), message, hashlib.sha256).hexdigest()


def seal(purpose: str, plaintext: str) -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(_encryption_key()).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{_SEAL_VERSION}:{base64.b64encode(nonce + ciphertext).decode()}"


def unseal(purpose: str, sealed: str) -> str:
    version, _, payload = sealed.partition(":")
    if version != _SEAL_VERSION:
        raise SealError("Unknown sealed-value format.")
    try:
        raw = base64.b64decode(payload, validate=True)
        return AESGCM(_encryption_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except Exception as exc:  # InvalidTag, bad base64, bad UTF-8: all mean "not ours"
        raise SealError("The sealed value cannot be opened with the configured secret.") from exc


def _pepper() -> bytes:
    return _secret_bytes("LICENSING_PEPPER")


@cache
def _derived_key(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kalytera licensing seal v1").derive(
        secret
    )


def _encryption_key() -> bytes:
    return _derived_key(_secret_bytes("LICENSING_ENCRYPTION_SECRET"))


def _secret_bytes(name: str) -> bytes:
    value = getattr(settings, name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set; licensing cannot hash or seal values without it.")
    return value.encode()
