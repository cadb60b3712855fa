"""The published test vectors hold for both verifiers: the platform's and the reference one."""

import base64
import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

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


def outcome_of_platform(text: str, expected_type: str):
    try:
        return certificates.verify(text, expected_type=expected_type)
    except certificates.CertificateError as error:
        return error.code


def outcome_of_reference(text: str, expected_type: str):
    try:
        return verify.read_document(text, KEYS, expected_type=expected_type).claims
    except verify.VerificationError as error:
        return error.code


VALID_TEXTS = [vector_text(entry["file"]) for entry in MANIFEST["documents"] if entry["result"] == "VERIFIED"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.data())
def test_both_verifiers_agree_on_edited_documents(data):
    """Differential fuzzing: whatever the edit, the two implementations give the same outcome.

    The platform uses the test settings' key directory, which holds the keys of keys.json.
    """
    text = data.draw(st.sampled_from(VALID_TEXTS))
    if data.draw(st.booleans()):
        position = data.draw(st.integers(0, len(text) - 1))
        text = text[:position] + data.draw(st.text(max_size=3)) + text[position + 1 :]
    else:
        lines = text.strip().splitlines()
        container = bytearray(base64.b64decode("".join(line.strip() for line in lines[1:-1])))
        position = data.draw(st.integers(0, len(container) - 1))
        container[position] = data.draw(st.integers(0, 255))
        text = "\n".join([lines[0], base64.b64encode(bytes(container)).decode(), lines[-1]])
    expected_type = data.draw(st.sampled_from([verify.CERTIFICATE, verify.DEACTIVATION_RECEIPT]))

    assert outcome_of_platform(text, expected_type) == outcome_of_reference(text, expected_type)


def test_a_clock_set_back_behind_the_latest_platform_time_is_caught():
    claims = verify.read_document(vector_text("valid-subscription.lic"), KEYS).claims
    seen = verify.parse_timestamp("2026-11-20T12:00:00Z")

    at = verify.parse_timestamp
    assert verify.evaluate(claims, now=at("2026-11-19T12:00:00Z"), latest_trusted_time=seen).code == "VALID"
    assert verify.evaluate(claims, now=at("2026-11-19T11:59:59Z"), latest_trusted_time=seen).code == (
        "NOT_YET_VALID"
    )
    assert verify.evaluate(claims, now=at("2026-11-19T11:59:59Z")).code == "VALID"


def test_naive_times_are_refused():
    from datetime import datetime

    claims = verify.read_document(vector_text("valid-subscription.lic"), KEYS).claims

    with pytest.raises(ValueError):
        verify.evaluate(claims, now=datetime(2026, 11, 15))


@pytest.mark.parametrize(
    "change",
    [
        {"alg": "RS256"},
        {"kid": "03D5C2BFDC91FD84"},
        {"kid": "99a5d3193adb6e45"},
        {"public_key": "SOT9ACC2UjcRr26klW-6nRG1tm2u8NINcJKKU8QcHoY="},
        {"public_key": "SOT9ACC2UjcRr26klW+6nRG1tm2u8NINcJKKU8QcHoY"},
        {"public_key": "SOT9ACC2UjcRr26klW-6nRG1tm2u8NINcJKKU8QcHo*Y"},
        {"public_key": "SOT9ACC2UjcRr26klW-6nRG1tm2u8NINcJKKU8QcHoZ"},
        {"public_key": None},
    ],
)
def test_a_key_set_with_a_doubtful_key_is_refused(change):
    published = json.loads((vectors.VECTOR_DIR / "keys.json").read_text(encoding="utf-8"))
    published["keys"][0] |= change

    with pytest.raises(verify.VerificationError) as caught:
        verify.load_keys(published)
    assert caught.value.code == "KEYS_INVALID"


@pytest.mark.parametrize("published", [{}, {"keys": []}, [], "keys", None, {"keys": [1]}])
def test_an_empty_or_shapeless_key_set_is_refused(published):
    with pytest.raises(verify.VerificationError):
        verify.load_keys(published)
