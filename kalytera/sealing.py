"""Sealed values: AES-256-GCM under a key derived from a secret that lives only in the environment.

A ``Sealer`` names the setting that holds its secret (and optionally a setting listing older
secrets that may still open values, as ``SECRET_KEY_FALLBACKS``) and a label of its own, so two apps
sharing the same secret by mistake still get different keys. Each sealed value also names
its purpose (the GCM associated data): a value sealed for one purpose cannot be opened as
another. The format is ``v1:`` followed by base64 of the 12-byte nonce and the ciphertext.
"""

import base64
import contextlib
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_VERSION = "v1"


class SealError(Exception):
    """A sealed value could not be opened (wrong secret, or the value was altered)."""


class Sealer:
    def __init__(self, *, setting: str, label: str, fallbacks: str | None = None) -> None:
        self.setting = setting
        self.label = label
        self.fallbacks = fallbacks

    def seal(self, purpose: str, plaintext: str) -> str:
        nonce = os.urandom(12)
        ciphertext = AESGCM(self._key(secret_bytes(self.setting))).encrypt(
            nonce, plaintext.encode(), purpose.encode()
        )
        return f"{_VERSION}:{base64.b64encode(nonce + ciphertext).decode()}"

    def unseal(self, purpose: str, sealed: str) -> str:
        version, _, payload = sealed.partition(":")
        if version != _VERSION:
            raise SealError("Unknown sealed-value format.")
        try:
            raw = base64.b64decode(payload, validate=True)
        except ValueError as exc:
            raise SealError("The sealed value is not base64.") from exc
        older = getattr(settings, self.fallbacks, []) if self.fallbacks else []
        for secret in [secret_bytes(self.setting), *(value.encode() for value in older)]:
            # A wrong key or an altered value fails authentication (InvalidTag); a value too
            # short to hold a nonce is refused as invalid (ValueError).
            with contextlib.suppress(InvalidTag, ValueError):
                return AESGCM(self._key(secret)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        raise SealError("The sealed value cannot be opened with the configured secret.")

    def _key(self, secret: bytes) -> bytes:
        return _derived_key(secret, self.label.encode())


def is_sealed(value: str) -> bool:
    """Whether ``value`` has the sealed format (for migrations that seal existing rows)."""
    return value.startswith(f"{_VERSION}:")


def secret_bytes(setting: str) -> bytes:
    value = getattr(settings, setting, "")
    if not value:
        raise ImproperlyConfigured(f"{setting} is not set; values that need it cannot be hashed or sealed.")
    return value.encode()


@cache
def _derived_key(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)
