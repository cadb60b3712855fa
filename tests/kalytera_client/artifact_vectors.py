"""The published test vectors of ``docs/release-artifact.md``, made reproducibly.

The same TEST keys and the same minimal signing code as ``vectors.py`` (not the
platform's): the installer file and every claim are fixed, and Ed25519 is deterministic,
so running this again yields byte-identical files; ``test_artifact_vectors.py`` checks it.

Regenerate with ``python -m tests.kalytera_client.artifact_vectors`` after a deliberate change.
"""

import copy
import hashlib
import json

from kalytera_client.armor import armor, canonical_json
from tests.kalytera_client import vectors

DIRECTORY = vectors.VECTOR_DIR / "artifacts"
ARTIFACT_LABEL = "RELEASE ARTIFACT"
INSTALLER = "kalytera-vms-6.3.0-linux-x64.deb"
TAMPERED = "kalytera-vms-6.3.0-linux-x64-tampered.deb"


def installer_bytes() -> bytes:
    """A stand-in installer: 3000 bytes of fixed content (not a real package)."""
    line = b"Kalytera VMS 6.3.0 TEST installer for linux-x64; not a real package.\n"
    return (line * 50)[:3000]


def build() -> dict[str, bytes]:
    """Every file of ``docs/test-vectors/artifacts/``, by name."""
    active, retired = vectors.test_key(vectors.ACTIVE_SEED), vectors.test_key(vectors.RETIRED_SEED)
    content = installer_bytes()
    tampered = content[:1000] + bytes([content[1000] ^ 0x01]) + content[1001:]
    claims = {
        "typ": "release-artifact",
        "v": 1,
        "product": "kalytera-vms",
        "version": "6.3.0",
        "platform": "linux-x64-deb",
        "filename": INSTALLER,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    files: dict[str, bytes] = {INSTALLER: content, TAMPERED: tampered}
    cases: list[dict] = []

    def add(name, text, file, result, description, *, expect=None):
        files[f"{name}.sig"] = text.encode("utf-8")
        entry = {"signature": f"{name}.sig", "file": file, "result": result}
        if expect:
            entry["expect"] = expect
        cases.append(entry | {"description": description})

    def signed(values, key=active, label=ARTIFACT_LABEL):
        return armor(label, vectors.sign(key, canonical_json(values)))

    valid = signed(claims)
    add("valid", valid, INSTALLER, "VERIFIED", "The installer and its signature by the active key.")
    add(
        "valid-retired-key",
        signed(claims, key=retired),
        INSTALLER,
        "VERIFIED",
        "Signed by the retired key: still trusted.",
    )
    add(
        "valid",
        valid,
        TAMPERED,
        "DIGEST_MISMATCH",
        "One bit of the installer flipped: same size, another SHA-256.",
    )
    add(
        "invalid-size",
        signed(claims | {"size": len(content) + 1}),
        INSTALLER,
        "SIZE_MISMATCH",
        "A genuine signature over another length.",
    )
    add(
        "valid",
        valid,
        INSTALLER,
        "WRONG_ARTIFACT",
        "A genuine installer of 6.3.0, where the VMS asked for 6.2.1.",
        expect={"version": "6.2.1"},
    )
    container = bytearray(vectors.sign(active, canonical_json(claims)))
    container[-1] ^= 0x01
    add(
        "invalid-tampered-signature",
        armor(ARTIFACT_LABEL, bytes(container)),
        INSTALLER,
        "BAD_SIGNATURE",
        "The last byte of the signature changed.",
    )
    add(
        "invalid-certificate-as-artifact",
        signed(vectors.SUBSCRIPTION, label=ARTIFACT_LABEL),
        INSTALLER,
        "WRONG_TYPE",
        "A license certificate under the RELEASE ARTIFACT label.",
    )
    for case in cases:
        if case["result"] == "VERIFIED":
            case["claims"] = claims
    manifest = {
        "format": "Kalytera release artifact signatures, version 1 (docs/release-artifact.md)",
        "keys": "../keys.json",
        "cases": cases,
    }
    files["artifacts.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return copy.deepcopy(files)


def write() -> None:
    DIRECTORY.mkdir(exist_ok=True)
    for name, content in build().items():
        (DIRECTORY / name).write_bytes(content)


if __name__ == "__main__":
    write()
    print(f"Wrote the artifact test vectors to {DIRECTORY}.")
