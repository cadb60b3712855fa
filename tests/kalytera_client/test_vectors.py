"""The published test vectors hold for both verifiers: the platform's and the reference one."""

import json
from datetime import date

import pytest

from kalytera_client import identity, verify
from licensing import certificates
from tests.kalytera_client import vectors

MANIFEST = json.loads((vectors.VECTOR_DIR / "vectors.json").read_text(encoding="utf-8"))
KEYS = verify.load_keys(json.loads((vectors.VECTOR_DIR / "keys.json").read_text(encoding="utf-8")))


def vector_text(name: str) -> str:
    # Read as bytes: a text-mode read would turn the CRLF vector into LF.
    return (vectors.VECTOR_DIR / name).read_bytes().decode("utf-8")


def ids(entries: list[dict]) -> list[str]:
    return [entry["file"] + ("@" + entry["now"] if "now" in entry else "") for entry in entries]


def test_vector_files_are_exactly_what_the_generator_makes():
    for name, content in vectors.build().items():
        assert (vectors.VECTOR_DIR / name).read_bytes() == content, f"{name} differs; regenerate the vectors"
    listed = {entry["file"] for entry in MANIFEST["documents"]}
    on_disk = {path.name for path in vectors.VECTOR_DIR.glob("*.lic")}
    assert listed == on_disk


def test_vectors_cover_every_failure_code():
    results = {entry["result"] for entry in MANIFEST["documents"]}

    assert results == {
        "VERIFIED",
        "MALFORMED",
        "UNSUPPORTED_VERSION",
        "UNKNOWN_KEY",
        "BAD_SIGNATURE",
        "WRONG_TYPE",
    }


@pytest.mark.parametrize("entry", MANIFEST["documents"], ids=ids(MANIFEST["documents"]))
def test_reference_verifier_agrees_with_the_vector(entry):
    text = vector_text(entry["file"])
    if entry["result"] == "VERIFIED":
        document = verify.read_document(text, KEYS, expected_type=entry["expected_type"])
        assert document.claims == entry["claims"]
    else:
        with pytest.raises(verify.VerificationError) as caught:
            verify.read_document(text, KEYS, expected_type=entry["expected_type"])
        assert caught.value.code == entry["result"]


@pytest.mark.parametrize("entry", MANIFEST["documents"], ids=ids(MANIFEST["documents"]))
def test_platform_agrees_with_the_vector(entry, settings):
    settings.LICENSE_SIGNING_KEY_DIR = str(vectors.VECTOR_DIR / "keys")
    text = vector_text(entry["file"])
    if entry["result"] == "VERIFIED":
        assert certificates.verify(text, expected_type=entry["expected_type"]) == entry["claims"]
    else:
        with pytest.raises(certificates.CertificateError) as caught:
            certificates.verify(text, expected_type=entry["expected_type"])
        assert caught.value.code == entry["result"]


@pytest.mark.parametrize("entry", MANIFEST["evaluations"], ids=ids(MANIFEST["evaluations"]))
def test_offline_evaluation_agrees_with_the_vector(entry):
    claims = verify.read_document(vector_text(entry["file"]), KEYS).claims
    status = verify.evaluate(
        claims,
        now=verify.parse_timestamp(entry["now"]),
        fingerprint=entry["fingerprint"],
        release_date=date.fromisoformat(entry["release_date"]) if entry["release_date"] else None,
    )

    assert (status.code, status.valid) == (entry["code"], entry["valid"])


def test_machine_digests_of_the_vectors_are_reproducible():
    machine = MANIFEST["machine"]
    derived = identity.derive(machine["machine_id"], machine["components"])

    assert derived.fingerprint == machine["fingerprint"]
    assert list(derived.components) == machine["component_digests"]


def test_published_keys_of_the_vectors_match_the_platform(settings):
    settings.LICENSE_SIGNING_KEY_DIR = str(vectors.VECTOR_DIR / "keys")
    published = json.loads((vectors.VECTOR_DIR / "keys.json").read_text(encoding="utf-8"))

    assert certificates.published_signing_keys() == published["keys"]


def test_platform_certificates_pass_the_reference_verifier():
    issued = certificates.issue_certificate(
        license_id="lic-7",
        plan="Größe ✓",
        kind="perpetual",
        channels=8,
        features=["video_wall"],
        fingerprint=vectors.FINGERPRINT,
        expires_at=None,
        upgrade_plan_until=date(2027, 1, 1),
        grace_days=0,
        offline_validity_days=30,
    )
    receipt = certificates.issue_deactivation_receipt(
        license_id="lic-7", fingerprint=vectors.FINGERPRINT, deactivated_at=issued.issued_at
    )
    keys = verify.load_keys(certificates.published_signing_keys())

    document = verify.read_document(issued.armored, keys)
    assert document.claims == certificates.verify(issued.armored)
    assert document.kid == issued.kid
    assert verify.read_document(receipt.armored, keys, expected_type=verify.DEACTIVATION_RECEIPT).claims[
        "id"
    ] == (receipt.document_id)
