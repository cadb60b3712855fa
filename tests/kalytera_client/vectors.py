"""The published test vectors of ``docs/license-certificate.md``, made reproducibly.

Ed25519 signatures are deterministic and every claim below is fixed, so running this
again yields byte-identical files; ``test_vectors.py`` checks that it does. The signing
here is a third, minimal implementation of the container (header, payload, signature)
using only ``cryptography``: the vectors do not come from the code they test.

Regenerate with ``python -m tests.kalytera_client.vectors`` after a deliberate change.
"""

import base64
import copy
import hashlib
import json
import struct
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kalytera_client import identity
from kalytera_client.armor import armor, canonical_json

ROOT = Path(__file__).resolve().parents[2]
VECTOR_DIR = ROOT / "docs" / "test-vectors"

# The TEST keys: their seeds are published, so anyone can sign with them.
ACTIVE_SEED = "Kalytera TEST signing key 2026"
RETIRED_SEED = "Kalytera TEST signing key 2025"
UNPUBLISHED_SEED = "Kalytera TEST unpublished key"

MACHINE_ID = "4c4c4544-0042-3510-8051-b4c04f563232"
COMPONENTS = {"board": "MB-2026-000417", "disk0": "WD-WX12A3456789", "nic0": "00:1b:21:3a:4f:5c"}
OTHER_MACHINE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"

CERTIFICATE_LABEL = "LICENSE CERTIFICATE"
RECEIPT_LABEL = "DEACTIVATION RECEIPT"


def test_key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode("utf-8")).digest())


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(key: Ed25519PrivateKey) -> bytes:
    return hashlib.sha256(raw_public(key)).digest()[:8]


def sign(key: Ed25519PrivateKey, payload: bytes, *, version: int = 1, kid: bytes | None = None) -> bytes:
    signed = struct.pack(">4sB8sI", b"KALY", version, kid or kid_of(key), len(payload)) + payload
    return signed + key.sign(signed)


def rewrap(text: str, width: int, newline: str) -> str:
    lines = text.strip().split("\n")
    body = "".join(lines[1:-1])
    wrapped = [body[start : start + width] for start in range(0, len(body), width)]
    return newline.join([lines[0], *(f"  {line} " for line in wrapped), lines[-1]])


FINGERPRINT = identity.fingerprint(MACHINE_ID)

SUBSCRIPTION = {
    "typ": "license-certificate",
    "v": 1,
    "id": "00000000-0000-4000-8000-000000000001",
    "license_id": "test-license-1",
    "plan": "Professional",
    "kind": "subscription",
    "channels": 16,
    "features": ["analytics", "lpr"],
    "fingerprint": FINGERPRINT,
    "issued_at": "2026-11-01T00:00:00Z",
    "valid_until": "2026-12-31T00:00:00Z",
    "expires_at": "2026-12-01T00:00:00Z",
    "upgrade_plan_until": "2027-11-01",
    "grace_days": 14,
}
PERPETUAL = SUBSCRIPTION | {
    "id": "00000000-0000-4000-8000-000000000002",
    "license_id": "test-license-2",
    "plan": "Enterprise \u2013 Perpetual",  # an en dash: non-ASCII UTF-8
    "kind": "perpetual",
    "channels": 64,
    "features": ["analytics", "lpr", "video_wall"],
    "valid_until": "2026-12-01T00:00:00Z",
    "expires_at": None,
    "upgrade_plan_until": "2027-06-30",
    "grace_days": 0,
}
TRIAL_BY_RETIRED_KEY = SUBSCRIPTION | {
    "id": "00000000-0000-4000-8000-000000000003",
    "license_id": "test-license-3",
    "plan": "Trial",
    "kind": "trial",
    "channels": 4,
    "features": [],
    "issued_at": "2025-06-01T00:00:00Z",
    "valid_until": "2025-07-01T00:00:00Z",
    "expires_at": "2025-07-01T00:00:00Z",
    "upgrade_plan_until": None,
    "grace_days": 0,
}
RECEIPT = {
    "typ": "deactivation-receipt",
    "v": 1,
    "id": "00000000-0000-4000-8000-000000000004",
    "license_id": "test-license-1",
    "fingerprint": FINGERPRINT,
    "deactivated_at": "2026-11-20T10:00:00Z",
    "issued_at": "2026-11-20T10:00:05Z",
}


def build() -> dict[str, bytes]:
    """Every file of the test-vector directory (except the key files), by relative path."""
    active, retired, unpublished = test_key(ACTIVE_SEED), test_key(RETIRED_SEED), test_key(UNPUBLISHED_SEED)
    files: dict[str, bytes] = {}
    documents: list[dict] = []

    def add(name, text, result, description, *, expected_type="license-certificate", claims=None):
        files[f"{name}.lic"] = text.encode("utf-8")
        entry = {"file": f"{name}.lic", "expected_type": expected_type, "result": result}
        if claims is not None:
            entry["claims"] = claims
        documents.append(entry | {"description": description})

    def certificate(claims, key=active, **options):
        return armor(CERTIFICATE_LABEL, sign(key, canonical_json(claims), **options))

    subscription = certificate(SUBSCRIPTION)
    container = sign(active, canonical_json(SUBSCRIPTION))

    add(
        "valid-subscription",
        subscription,
        "VERIFIED",
        "Subscription certificate signed by the active key.",
        claims=SUBSCRIPTION,
    )
    add(
        "valid-perpetual",
        certificate(PERPETUAL),
        "VERIFIED",
        "Perpetual certificate; no expiry, an upgrade-plan end, a non-ASCII plan name (UTF-8).",
        claims=PERPETUAL,
    )
    add(
        "valid-retired-key",
        certificate(TRIAL_BY_RETIRED_KEY, key=retired),
        "VERIFIED",
        "Trial certificate signed by the retired key: still verifies after rotation.",
        claims=TRIAL_BY_RETIRED_KEY,
    )
    add(
        "valid-rewrapped-crlf",
        "\r\n  " + rewrap(subscription, 76, "\r\n") + "\r\n\r\n",
        "VERIFIED",
        "The subscription certificate with CRLF line ends, 76 columns, indentation, blank lines around it.",
        claims=SUBSCRIPTION,
    )
    add(
        "valid-receipt",
        armor(RECEIPT_LABEL, sign(active, canonical_json(RECEIPT))),
        "VERIFIED",
        "Deactivation receipt.",
        expected_type="deactivation-receipt",
        claims=RECEIPT,
    )

    tampered = canonical_json(SUBSCRIPTION).replace(b'"channels":16', b'"channels":64')
    add(
        "invalid-tampered-claim",
        armor(CERTIFICATE_LABEL, container[:17] + tampered + container[-64:]),
        "BAD_SIGNATURE",
        "channels changed from 16 to 64 after signing.",
    )
    flipped = bytearray(container)
    flipped[-1] ^= 0x01
    add(
        "invalid-tampered-signature",
        armor(CERTIFICATE_LABEL, bytes(flipped)),
        "BAD_SIGNATURE",
        "The last bit of the signature flipped.",
    )
    add(
        "invalid-truncated-container",
        armor(CERTIFICATE_LABEL, container[:-3]),
        "MALFORMED",
        "The container lacks its last 3 bytes (well-formed armour).",
    )
    add(
        "invalid-truncated-text",
        "\n".join(subscription.splitlines()[:-2]) + "\n",
        "MALFORMED",
        "The last body line and the END line are missing.",
    )
    add(
        "invalid-wrong-key",
        certificate(SUBSCRIPTION, key=unpublished, kid=kid_of(active)),
        "BAD_SIGNATURE",
        "Signed by an unpublished key but naming the active key's kid.",
    )
    add(
        "invalid-unknown-kid",
        certificate(SUBSCRIPTION, key=unpublished),
        "UNKNOWN_KEY",
        "Signed by an unpublished key under its own kid.",
    )
    add(
        "invalid-receipt-as-certificate",
        files["valid-receipt.lic"].decode(),
        "WRONG_TYPE",
        "A genuine receipt where a certificate is expected.",
    )
    add(
        "invalid-label-mismatch",
        armor(RECEIPT_LABEL, container),
        "WRONG_TYPE",
        "A genuine certificate under the DEACTIVATION RECEIPT label, a receipt expected.",
        expected_type="deactivation-receipt",
    )
    add(
        "invalid-armour-text-around",
        "Your certificate:\n" + subscription,
        "MALFORMED",
        "Text before the BEGIN line.",
    )
    add(
        "invalid-armour-character",
        subscription.replace("\n", "\n*", 1),
        "MALFORMED",
        "A '*' at the start of the first body line.",
    )
    body_line = subscription.splitlines()[1]
    add(
        "invalid-armour-space",
        subscription.replace(body_line, body_line[:30] + " " + body_line[30:]),
        "MALFORMED",
        "A space inside a body line.",
    )
    add(
        "invalid-armour-noncanonical-base64",
        _spare_bits_set(certificate(SUBSCRIPTION | {"plan": "Pro"})),
        "MALFORMED",
        "The spare bits of the last base64 character are not zero.",
    )
    add(
        "invalid-container-version",
        certificate(SUBSCRIPTION, version=2),
        "UNSUPPORTED_VERSION",
        "Container version 2, correctly signed.",
    )
    add(
        "invalid-claims-version",
        certificate(SUBSCRIPTION | {"v": 2}),
        "UNSUPPORTED_VERSION",
        "Claims version 2, correctly signed.",
    )
    spaced = json.dumps(SUBSCRIPTION, sort_keys=True, ensure_ascii=False).encode("utf-8")
    add(
        "invalid-non-canonical-json",
        armor(CERTIFICATE_LABEL, sign(active, spaced)),
        "MALFORMED",
        "Correctly signed claims with spaces after ':' and ',' (not canonical).",
    )
    without_fingerprint = {name: value for name, value in SUBSCRIPTION.items() if name != "fingerprint"}
    add(
        "invalid-missing-claim",
        certificate(without_fingerprint),
        "MALFORMED",
        "Correctly signed claims without the fingerprint.",
    )
    floating = canonical_json(SUBSCRIPTION).replace(b'"channels":16', b'"channels":16.0')
    add(
        "invalid-float-claim",
        armor(CERTIFICATE_LABEL, sign(active, floating)),
        "MALFORMED",
        "Correctly signed claims with channels written as 16.0.",
    )

    other = identity.fingerprint(OTHER_MACHINE_ID)
    evaluations = [
        ("valid-subscription", "2026-11-15T00:00:00Z", FINGERPRINT, None, "VALID"),
        ("valid-subscription", "2026-10-31T00:00:00Z", FINGERPRINT, None, "VALID"),
        ("valid-subscription", "2026-10-30T23:59:59Z", FINGERPRINT, None, "NOT_YET_VALID"),
        ("valid-subscription", "2026-11-15T00:00:00Z", other, None, "FINGERPRINT_MISMATCH"),
        ("valid-subscription", "2026-11-30T23:59:59Z", None, None, "VALID"),
        ("valid-subscription", "2026-12-01T00:00:00Z", None, None, "GRACE_PERIOD"),
        ("valid-subscription", "2026-12-14T23:59:59Z", None, None, "GRACE_PERIOD"),
        ("valid-subscription", "2026-12-15T00:00:00Z", None, None, "EXPIRED"),
        ("valid-subscription", "2027-01-05T00:00:00Z", None, None, "EXPIRED"),
        ("valid-subscription", "2026-11-15T00:00:00Z", None, "2027-11-01", "VALID"),
        ("valid-subscription", "2026-11-15T00:00:00Z", None, "2027-11-02", "VERSION_NOT_COVERED"),
        ("valid-perpetual", "2026-11-30T23:59:59Z", FINGERPRINT, "2027-06-30", "VALID"),
        ("valid-perpetual", "2026-11-15T00:00:00Z", FINGERPRINT, "2027-07-01", "VERSION_NOT_COVERED"),
        ("valid-perpetual", "2026-12-01T00:00:00Z", FINGERPRINT, "2026-01-01", "CHECK_IN_REQUIRED"),
        ("valid-retired-key", "2025-06-15T00:00:00Z", FINGERPRINT, None, "VALID"),
        ("valid-retired-key", "2025-07-01T00:00:00Z", FINGERPRINT, None, "EXPIRED"),
    ]
    manifest = {
        "format": "Kalytera signed documents, version 1 (docs/license-certificate.md)",
        "keys": "keys.json",
        "machine": {
            "application_key": identity.APPLICATION_KEY.decode("ascii"),
            "machine_id": MACHINE_ID,
            "fingerprint": FINGERPRINT,
            "components": COMPONENTS,
            "component_digests": list(identity.derive(MACHINE_ID, COMPONENTS).components),
            "other_machine_id": OTHER_MACHINE_ID,
            "other_fingerprint": other,
        },
        "documents": documents,
        "evaluations": [
            {
                "file": f"{name}.lic",
                "now": now,
                "fingerprint": fingerprint,
                "release_date": release_date,
                "code": code,
                "valid": code in ("VALID", "GRACE_PERIOD"),
            }
            for name, now, fingerprint, release_date, code in evaluations
        ],
    }
    keys = {
        "keys": [
            _published(active, "active", "2026-01-01T00:00:00Z"),
            _published(retired, "retired", "2025-01-01T00:00:00Z"),
        ]
    }
    for key, seed, created in ((active, ACTIVE_SEED, "2026-01-01"), (retired, RETIRED_SEED, "2025-01-01")):
        files[f"keys/{kid_of(key).hex()}.pem"] = _key_file(key, seed, created)
    files["keys/ACTIVE"] = f"{kid_of(active).hex()}\n".encode("ascii")
    files["vectors.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files["keys.json"] = (json.dumps(keys, indent=2) + "\n").encode("utf-8")
    return copy.deepcopy(files)


def _key_file(key: Ed25519PrivateKey, seed: str, created: str) -> bytes:
    header = (
        "TEST KEY - published with the test vectors of docs/license-certificate.md.\n"
        "Anyone can sign with it: never use it outside tests.\n"
        f'Seed: SHA-256 of the text "{seed}"\n'
        f"Kid: {kid_of(key).hex()}\n"
        f"Created: {created}T00:00:00Z\n"
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return header.encode("ascii") + pem


def _published(key: Ed25519PrivateKey, status: str, created: str) -> dict:
    return {
        "kid": kid_of(key).hex(),
        "alg": "Ed25519",
        "public_key": base64.urlsafe_b64encode(raw_public(key)).rstrip(b"=").decode("ascii"),
        "status": status,
        "created": created,
    }


def _spare_bits_set(armored: str) -> str:
    lines = armored.strip().split("\n")
    last = lines[-2]
    assert last.endswith("="), "pick claims whose container length is not a multiple of 3"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = last.rstrip("=")
    lines[-2] = data[:-1] + alphabet[alphabet.index(data[-1]) | 1] + last[len(data) :]
    return "\n".join(lines) + "\n"


def write(directory: Path = VECTOR_DIR) -> None:
    for name, content in build().items():
        (directory / name).write_bytes(content)


if __name__ == "__main__":
    write()
    print(f"Wrote the test vectors to {VECTOR_DIR}.")
