"""Release workflows for staff: storing and signing installer files."""

import hashlib
import re
from typing import IO

from django.core.files import File
from django.db import transaction

from licensing import certificates
from licensing.models import ReleaseArtifact
from licensing.services.common import LicensingError

CHUNK_SIZE = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_filename(name: str) -> str:
    """The file name a customer saves: the uploaded name's last part, in safe characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("-", base).strip(".-")[:200]
    if not cleaned:
        raise LicensingError(
            "INVALID_FILENAME", "The file needs a name made of letters, digits, '.', '-' or '_'."
        )
    return cleaned


def file_digest(file: IO[bytes]) -> tuple[int, str]:
    """The size and SHA-256 of ``file``, read in chunks from the start."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return size, digest.hexdigest()


def store_artifact(*, artifact: ReleaseArtifact, upload: File) -> ReleaseArtifact:
    """Store ``upload`` as the installer of ``artifact`` (release and platform set), sign it, save it.

    The upload's SHA-256 comes from ``kalytera.uploads.HashingUploadHandler`` when it took
    the request (computed as the bytes arrived); otherwise it is computed here in chunks.
    The file goes to the ``releases`` storage in chunks under a new name (nothing is
    overwritten) before the row is written; if the row cannot be written, the file is deleted.
    """
    release = artifact.release
    filename = safe_filename(upload.name or "")
    precomputed = getattr(upload, "sha256", None)
    if precomputed is not None and upload.size is not None:
        size, sha256 = upload.size, precomputed
    else:
        size, sha256 = file_digest(upload)
    try:
        signed = certificates.sign_artifact(
            product=release.product.slug,
            version=release.version,
            platform=artifact.platform,
            filename=filename,
            size=size,
            sha256=sha256,
        )
    except ValueError as exc:
        raise LicensingError("INVALID_ARTIFACT", str(exc)) from None
    artifact.filename, artifact.size, artifact.sha256 = filename, size, sha256
    artifact.signature = signed.armored
    name = f"{release.product.slug}/{release.version}/{artifact.platform}/{filename}"
    artifact.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            artifact.save()
    except Exception:
        artifact.file.storage.delete(artifact.file.name or name)
        raise
    return artifact


def delete_artifact(*, artifact: ReleaseArtifact) -> None:
    """Remove the row, then the stored file (a file without a row is harmless; the reverse is not)."""
    name, storage = artifact.file.name, artifact.file.storage
    artifact.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
