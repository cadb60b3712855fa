"""Reference check of a downloaded installer against its signature (``docs/release-artifact.md``).

The signature file (``<installer>.sig``) is a signed document of type ``release-artifact``
whose claims name the product, version, platform, file name, size and SHA-256 of the
installer. A VMS that trusts the platform's keys for its certificates trusts an update
the same way, offline:

1. verify the signature document with :func:`kalytera_client.verify.read_document`;
2. read the file in chunks, counting bytes and hashing them (never the whole file in memory);
3. compare size and digest with the claims, and the product (and, when given, version and
   platform) with what the VMS expects to install.

Command line: ``python -m kalytera_client verify-artifact installer.deb installer.deb.sig --keys keys.json``.
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kalytera_client.verify import RELEASE_ARTIFACT, VerificationError, read_document

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class VerifiedArtifact:
    kid: str
    claims: dict


def verify_artifact(
    file: BinaryIO,
    signature: str,
    keys: dict[str, Ed25519PublicKey],
    *,
    product: str | None = None,
    version: str | None = None,
    platform: str | None = None,
) -> VerifiedArtifact:
    """Check that ``file`` (opened in binary mode) is the installer ``signature`` describes.

    Raises :class:`VerificationError`: the codes of ``read_document``, then ``SIZE_MISMATCH``,
    ``DIGEST_MISMATCH`` (the file is not the one signed: damaged or replaced) and
    ``WRONG_ARTIFACT`` (a genuine installer, but not the product, version or platform asked for).
    """
    document = read_document(signature, keys, expected_type=RELEASE_ARTIFACT)
    claims = document.claims
    for name, expected in (("product", product), ("version", version), ("platform", platform)):
        if expected is not None and claims[name] != expected:
            raise VerificationError(
                "WRONG_ARTIFACT", f"The signature is for {name} {claims[name]!r}, not {expected!r}."
            )
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(CHUNK_SIZE):
        size += len(chunk)
        if size > claims["size"]:
            break  # longer than signed: no need to read the rest
        digest.update(chunk)
    if size != claims["size"]:
        raise VerificationError(
            "SIZE_MISMATCH",
            f"The file is not {claims['size']} bytes long as signed: it is damaged or replaced.",
        )
    if not hmac.compare_digest(digest.hexdigest(), claims["sha256"]):
        raise VerificationError("DIGEST_MISMATCH", "The file's SHA-256 differs from the signed one.")
    return VerifiedArtifact(kid=document.kid, claims=claims)
