"""The platform's Ed25519 signing keys for license certificates and receipts.

Private keys never enter the database. They live as files in one directory,
``LICENSE_SIGNING_KEY_DIR``, which operators mount from a secret store::

    <kid>.pem    one key per file: a PKCS#8 private key, or only the public key of a
                 retired key whose private half was destroyed
    ACTIVE       the kid of the key that signs new documents

Every key in the directory is published (``GET /api/v1/signing-keys``): the active one
as ``active``, the others as ``retired``, so certificates signed before a rotation keep
verifying. Removing a file withdraws the key; documents it signed then stop verifying,
which is what an operator wants after a key leaks.

The directory is read again whenever a file in it changes, so a rotation with
``manage.py generate_signing_key --activate`` reaches running processes without a restart.
"""

import base64
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

ACTIVE_FILE = "ACTIVE"
KEY_SUFFIX = ".pem"
_PEM_BLOCK = re.compile(
    rb"-----BEGIN (PRIVATE KEY|PUBLIC KEY)-----\r?\n.+?-----END \1-----",
    re.DOTALL,
)
_CREATED_LINE = re.compile(rb"^Created: (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\r?$", re.MULTILINE)


class SigningKeyError(ImproperlyConfigured):
    """The signing key directory is missing, unreadable or has no usable active key."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey | None
    created: datetime
    path: Path

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class KeySet:
    keys: dict[str, SigningKey]
    active_kid: str | None

    @property
    def active(self) -> SigningKey:
        if self.active_kid is None:
            raise SigningKeyError("No active license signing key: write its kid into the ACTIVE file.")
        key = self.keys[self.active_kid]
        if key.private_key is None:
            raise SigningKeyError(f"The active signing key {key.kid} has no private key in {key.path}.")
        return key


def kid_for(public_key: Ed25519PublicKey) -> str:
    """The key id: the first 16 hex digits of SHA-256 over the 32 raw public key bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_directory() -> Path | None:
    configured = getattr(settings, "LICENSE_SIGNING_KEY_DIR", None)
    return Path(configured) if configured else None


def load_key_set() -> KeySet:
    """The keys of ``LICENSE_SIGNING_KEY_DIR``; in development, one is created when there is none."""
    directory = key_directory()
    if directory is None:
        raise SigningKeyError("LICENSE_SIGNING_KEY_DIR is not set.")
    if settings.DEBUG and not _has_keys(directory):
        _create_development_key(directory)
    return _cached_key_set(directory)


def _has_keys(directory: Path) -> bool:
    return directory.is_dir() and any(directory.glob(f"*{KEY_SUFFIX}"))


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple, KeySet]] = {}


def _cached_key_set(directory: Path) -> KeySet:
    # The stat signature is cheap next to parsing PEM files, and changes with any rotation.
    signature = _directory_signature(directory)
    with _cache_lock:
        cached = _cache.get(str(directory))
    if cached is not None and cached[0] == signature:
        return cached[1]
    key_set = read_key_directory(directory)
    with _cache_lock:
        _cache[str(directory)] = (signature, key_set)
    return key_set


def _directory_signature(directory: Path) -> tuple:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise SigningKeyError(f"Cannot read the signing key directory {directory}: {exc.strerror}.") from exc
    signature = []
    for entry in entries:
        if entry.name == ACTIVE_FILE or entry.name.endswith(KEY_SUFFIX):
            try:
                status = entry.stat()
            except FileNotFoundError:  # removed while we looked: the next call sees the new state
                continue
            signature.append((entry.name, status.st_mtime_ns, status.st_size))
    return tuple(signature)


def read_key_directory(directory: Path) -> KeySet:
    """Parse every key file of ``directory``; raise :class:`SigningKeyError` on the first problem."""
    if not directory.is_dir():
        raise SigningKeyError(f"The signing key directory {directory} does not exist.")
    keys: dict[str, SigningKey] = {}
    for path in sorted(directory.glob(f"*{KEY_SUFFIX}")):
        key = _read_key_file(path)
        if key.kid in keys:
            raise SigningKeyError(f"{path.name} and {keys[key.kid].path.name} hold the same key {key.kid}.")
        keys[key.kid] = key
    active_kid = None
    active_path = directory / ACTIVE_FILE
    if active_path.exists():
        active_kid = active_path.read_text(encoding="ascii", errors="replace").strip()
        if active_kid not in keys:
            raise SigningKeyError(f"{active_path} names the key {active_kid!r}, which is not in {directory}.")
    return KeySet(keys=keys, active_kid=active_kid)


def _read_key_file(path: Path) -> SigningKey:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"Cannot read the signing key file {path}: {exc.strerror}.") from exc
    block = _PEM_BLOCK.search(content)
    if block is None:
        raise SigningKeyError(f"{path} holds no PEM private or public key.")
    private_key: Ed25519PrivateKey | None = None
    try:
        if block.group(1) == b"PRIVATE KEY":
            loaded_private = serialization.load_pem_private_key(block.group(0), password=None)
            if not isinstance(loaded_private, Ed25519PrivateKey):
                raise SigningKeyError(f"{path} is not an Ed25519 key.")
            private_key = loaded_private
            public_key = private_key.public_key()
        else:
            loaded_public = serialization.load_pem_public_key(block.group(0))
            if not isinstance(loaded_public, Ed25519PublicKey):
                raise SigningKeyError(f"{path} is not an Ed25519 key.")
            public_key = loaded_public
    except ValueError as exc:
        raise SigningKeyError(f"{path} holds an unreadable key: {exc}.") from exc
    created_match = _CREATED_LINE.search(content[: block.start()])
    if created_match:
        created = datetime.strptime(created_match.group(1).decode(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    else:
        created = datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)
    return SigningKey(
        kid=kid_for(public_key), public_key=public_key, private_key=private_key, created=created, path=path
    )


def key_file_text(private_key: Ed25519PrivateKey, *, created: datetime) -> bytes:
    """The content of a key file: a short explanatory header, then the PKCS#8 PEM block."""
    kid = kid_for(private_key.public_key())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    header = (
        f"Kalytera license signing key (Ed25519). Keep this file secret.\n"
        f"Kid: {kid}\n"
        f"Created: {created.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
    )
    return header.encode("ascii") + pem


def write_new_key(directory: Path, *, activate: bool, now: datetime | None = None) -> str:
    """Generate a key into ``directory`` (created 0700 if missing), optionally make it active.

    Files are created with mode 0600 and never overwritten. Returns the new kid.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_key = Ed25519PrivateKey.generate()
    kid = kid_for(private_key.public_key())
    content = key_file_text(private_key, created=now or datetime.now(UTC))
    # Written under a temporary name, then linked into place: a reader never sees half a
    # key file, and an existing file is never overwritten (link fails if the name is taken).
    temporary = directory / f".{kid}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.link(temporary, directory / f"{kid}{KEY_SUFFIX}")
    finally:
        temporary.unlink()
    if activate:
        # Replace ACTIVE atomically so a reader never sees it empty.
        temporary = directory / f".{ACTIVE_FILE}.{kid}.tmp"
        temporary.write_text(kid + "\n", encoding="ascii")
        os.replace(temporary, directory / ACTIVE_FILE)
    return kid


_development_lock = threading.Lock()


def _create_development_key(directory: Path) -> None:
    with _development_lock:
        if _has_keys(directory):
            return
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n", encoding="ascii")  # a development key must never be committed
        kid = write_new_key(directory, activate=True)
    logger.warning(
        "Created development license signing key %s in %s. Certificates it signs are for development only.",
        kid,
        directory,
    )


def public_key_b64url(key: SigningKey) -> str:
    return base64.urlsafe_b64encode(key.public_bytes).rstrip(b"=").decode("ascii")
