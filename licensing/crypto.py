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

import hashlib
import hmac

from kalytera.sealing import Sealer, SealError, secret_bytes

__all__ = ["SealError", "keyed_hash", "seal", "unseal"]

_sealer = Sealer(setting="LICENSING_ENCRYPTION_SECRET", label="kalytera licensing seal v1")


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the pepper, as 64 hex characters."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(secret_bytes("LICENSING_PEPPER"), message, hashlib.sha256).hexdigest()


def seal(purpose: str, plaintext: str) -> str:
    return _sealer.seal(purpose, plaintext)


def unseal(purpose: str, sealed: str) -> str:
    return _sealer.unseal(purpose, sealed)
