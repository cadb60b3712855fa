import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from licensing import certificates, signing_keys
from licensing.certificates import CertificateError

FINGERPRINT = "a" * 64
NOW = datetime(2026, 11, 1, 12, 30, 15, 123456, tzinfo=UTC)
TEST_KID = "03d5c2bfdc91fd84"
RETIRED_TEST_KID = "99a5d3193adb6e45"
TEST_KEY_DIR = str(Path(__file__).resolve().parents[2] / "docs" / "test-vectors" / "keys")


def issue(**overrides) -> certificates.IssuedDocument:
    fields: dict[str, Any] = {
        "license_id": "lic-42",
        "plan": "Professional",
        "kind": "subscription",
        "channels": 16,
        "features": ["lpr", "analytics", "lpr"],
        "fingerprint": FINGERPRINT,
        "expires_at": datetime(2027, 11, 1, tzinfo=UTC),
        "upgrade_plan_until": date(2027, 11, 1),
        "grace_days": 14,
        "offline_validity_days": 30,
        "now": NOW,
    } | overrides
    return certificates.issue_certificate(**fields)


def body_of(armored: str) -> bytes:
    lines = armored.strip().splitlines()
    return base64.b64decode("".join(lines[1:-1]))


def armor_certificate(container: bytes) -> str:
    return certificates.armor(certificates.CERTIFICATE, container)


def code_of(armored: str, **kwargs) -> str:
    with pytest.raises(CertificateError) as caught:
        certificates.verify(armored, **kwargs)
    return caught.value.code


@pytest.fixture
def key_dir(tmp_path, settings):
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    signing_keys.write_new_key(tmp_path, activate=True)
    return tmp_path


# --- Issuing ---------------------------------------------------------------------------------------


def test_certificate_carries_every_claim_and_verifies():
    document = issue()
    claims = certificates.verify(document.armored)

    assert claims == {
        "typ": "license-certificate",
        "v": 1,
        "id": document.document_id,
        "license_id": "lic-42",
        "plan": "Professional",
        "kind": "subscription",
        "channels": 16,
        "features": ["analytics", "lpr"],
        "fingerprint": FINGERPRINT,
        "issued_at": "2026-11-01T12:30:15Z",
        "valid_until": "2026-12-01T12:30:15Z",
        "expires_at": "2027-11-01T00:00:00Z",
        "upgrade_plan_until": "2027-11-01",
        "grace_days": 14,
    }
    assert document.kid == TEST_KID
    assert document.issued_at == datetime(2026, 11, 1, 12, 30, 15, tzinfo=UTC)


def test_perpetual_certificate_has_no_expiry():
    claims = certificates.verify(issue(kind="perpetual", expires_at=None, upgrade_plan_until=None).armored)

    assert claims["expires_at"] is None
    assert claims["upgrade_plan_until"] is None


def test_armour_has_begin_end_lines_and_64_column_body():
    lines = issue().armored.splitlines()

    assert lines[0] == "-----BEGIN KALYTERA LICENSE CERTIFICATE-----"
    assert lines[-1] == "-----END KALYTERA LICENSE CERTIFICATE-----"
    assert all(len(line) == 64 for line in lines[1:-2])
    assert 0 < len(lines[-2]) <= 64


def test_each_certificate_has_its_own_id():
    assert issue().document_id != issue().document_id


def test_timestamps_from_other_zones_are_written_in_utc():
    from zoneinfo import ZoneInfo

    berlin = datetime(2027, 1, 1, 1, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    claims = certificates.verify(issue(expires_at=berlin).armored)

    assert claims["expires_at"] == "2027-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "lifetime"),
        ("channels", -1),
        ("channels", True),
        ("grace_days", 1.5),
        ("offline_validity_days", 0),
        ("features", ["Video Wall"]),
        ("features", [7]),
        ("fingerprint", "A" * 64),
        ("fingerprint", "machine-serial-1234"),
        ("license_id", ""),
        ("plan", "line\nbreak"),
        ("expires_at", datetime(2027, 1, 1)),
        ("now", datetime(2027, 1, 1)),
        ("upgrade_plan_until", datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_claims_the_format_cannot_carry_are_refused(field, value):
    with pytest.raises(ValueError):
        issue(**{field: value})


def test_deactivation_receipt_verifies_as_a_receipt_only():
    receipt = certificates.issue_deactivation_receipt(
        license_id="lic-42", fingerprint=FINGERPRINT, deactivated_at=NOW
    )

    claims = certificates.verify(receipt.armored, expected_type=certificates.DEACTIVATION_RECEIPT)
    assert claims["typ"] == "deactivation-receipt"
    assert claims["deactivated_at"] == "2026-11-01T12:30:15Z"
    assert receipt.armored.startswith("-----BEGIN KALYTERA DEACTIVATION RECEIPT-----\n")
    assert code_of(receipt.armored) == "WRONG_TYPE"


def test_certificate_under_a_receipt_label_is_the_wrong_type():
    relabelled = issue().armored.replace("LICENSE CERTIFICATE", "DEACTIVATION RECEIPT")

    assert code_of(relabelled, expected_type=certificates.DEACTIVATION_RECEIPT) == "WRONG_TYPE"


def test_payload_is_canonical_json():
    container = body_of(issue().armored)
    length = int.from_bytes(container[13:17], "big")
    payload = container[17 : 17 + length]

    assert payload == certificates.canonical_json(json.loads(payload))
    assert b" " not in payload.replace(b"Professional", b"")
    assert list(json.loads(payload)) == sorted(json.loads(payload))


def test_non_ascii_text_is_signed_as_utf8():
    claims = certificates.verify(issue(plan="Profi Größe ✓").armored)

    assert claims["plan"] == "Profi Größe ✓"


# --- Tampering ---------------------------------------------------------------------------------------


def test_tampered_claim_fails():
    container = bytearray(body_of(issue().armored))
    at = container.index(b'"channels":16')
    container[at : at + 13] = b'"channels":64'

    assert code_of(armor_certificate(bytes(container))) == "BAD_SIGNATURE"


def test_tampered_signature_fails():
    container = bytearray(body_of(issue().armored))
    container[-1] ^= 0x01

    assert code_of(armor_certificate(bytes(container))) == "BAD_SIGNATURE"


@pytest.mark.parametrize("cut", [1, 3, 64, 100])
def test_truncated_container_fails(cut):
    container = body_of(issue().armored)

    assert code_of(armor_certificate(container[:-cut])) == "MALFORMED"


def test_extra_bytes_after_the_signature_fail():
    assert code_of(armor_certificate(body_of(issue().armored) + b"\0\0\0")) == "MALFORMED"


def test_truncated_armour_fails():
    lines = issue().armored.splitlines()

    assert code_of("\n".join(lines[:-2])) == "MALFORMED"
    assert code_of("\n".join(lines[:2] + lines[3:])) == "MALFORMED"


def test_certificate_signed_by_an_unpublished_key_fails(key_dir, settings):
    foreign = issue().armored
    settings.LICENSE_SIGNING_KEY_DIR = TEST_KEY_DIR

    assert code_of(foreign) == "UNKNOWN_KEY"


def test_certificate_signed_by_another_key_under_a_published_kid_fails(key_dir, settings):
    container = bytearray(body_of(issue().armored))
    container[5:13] = bytes.fromhex(TEST_KID)  # names the test key, signed by the key of key_dir
    settings.LICENSE_SIGNING_KEY_DIR = TEST_KEY_DIR

    assert code_of(armor_certificate(bytes(container))) == "BAD_SIGNATURE"


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_container_version_is_unsupported(version):
    container = bytearray(body_of(issue().armored))
    container[4] = version

    assert code_of(armor_certificate(bytes(container))) == "UNSUPPORTED_VERSION"


def test_other_magic_is_malformed():
    container = bytearray(body_of(issue().armored))
    container[0:4] = b"KALX"

    assert code_of(armor_certificate(bytes(container))) == "MALFORMED"


# --- Armour tolerance ---------------------------------------------------------------------------------


def test_armour_survives_crlf_indentation_and_surrounding_whitespace():
    armored = issue().armored
    mangled = "\r\n\r\n   " + "\r\n".join(f"  {line}\t" for line in armored.splitlines()) + "\r\n\n  "

    assert certificates.verify(mangled)["license_id"] == "lic-42"


@pytest.mark.parametrize("width", [1, 16, 63, 76, 1000])
def test_armour_survives_rewrapping(width):
    lines = issue().armored.splitlines()
    body = "".join(lines[1:-1])
    rewrapped = [body[start : start + width] for start in range(0, len(body), width)]

    assert certificates.verify("\n".join([lines[0], *rewrapped, lines[-1]]))["channels"] == 16


def test_armour_survives_blank_lines_from_a_mail_client():
    lines = issue().armored.splitlines()

    assert certificates.verify("\n\n".join(lines))["channels"] == 16


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: "Here is your certificate:\n" + text,
        lambda text: text + "Regards\n",
        lambda text: text.replace("-----BEGIN", "----BEGIN"),
        lambda text: text.replace("-----END KALYTERA LICENSE CERTIFICATE", "-----END KALYTERA LICENSE"),
        lambda text: text.replace("KALYTERA LICENSE CERTIFICATE", "PGP MESSAGE"),
        lambda text: text[:100] + "*" + text[101:],
        lambda text: text[:100] + " " + text[100:],
        lambda text: text[:100] + "\u2028" + text[100:],
        lambda text: text.replace("\n", "\n> "),
        lambda text: "",
    ],
)
def test_anything_else_in_the_armour_is_malformed(mangle):
    assert code_of(mangle(issue().armored)) == "MALFORMED"


def test_non_canonical_base64_is_malformed():
    # A plan name whose length leaves spare bits in the last base64 character.
    armored = next(text for text in (issue(plan="P" * n).armored for n in (1, 2, 3)) if "=" in text)
    lines = armored.splitlines()
    body = "".join(lines[1:-1])
    last = body.rstrip("=")[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    tweaked = body.rstrip("=")[:-1] + alphabet[alphabet.index(last) ^ 1] + body[len(body.rstrip("=")) :]

    assert code_of("\n".join([lines[0], tweaked, lines[-1]])) == "MALFORMED"


def test_oversized_document_is_refused_before_decoding():
    assert code_of(issue().armored + " " * 40000) == "MALFORMED"


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_containers_never_crash_the_parser(data):
    with pytest.raises(CertificateError):
        certificates.verify(armor_certificate(data))


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_crashes_the_parser(text):
    with pytest.raises(CertificateError):
        certificates.verify(text)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_edits_of_a_real_certificate_never_crash_the_parser(data):
    armored = issue().armored
    position = data.draw(st.integers(0, len(armored) - 1))
    replacement = data.draw(st.text(max_size=3))
    edited = armored[:position] + replacement + armored[position + 1 :]
    try:
        claims = certificates.verify(edited)
    except CertificateError:
        return
    assert claims["fingerprint"] == FINGERPRINT  # only edits that armour tolerates may pass


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.binary(min_size=2, max_size=600))
def test_signed_garbage_claims_are_malformed_never_a_crash(payload):
    key = signing_keys.load_key_set().active
    signed = certificates.HEADER.pack(b"KALY", 1, bytes.fromhex(key.kid), len(payload)) + payload
    armored = armor_certificate(signed + key.private_key.sign(signed))
    with pytest.raises(CertificateError) as caught:
        certificates.verify(armored)
    assert caught.value.code in {"MALFORMED", "UNSUPPORTED_VERSION", "WRONG_TYPE"}


# --- Keys and rotation -------------------------------------------------------------------------------


def test_rotation_keeps_old_certificates_verifying(key_dir):
    before = issue()
    new_kid = signing_keys.write_new_key(key_dir, activate=True)
    after = issue()

    assert after.kid == new_kid != before.kid
    assert certificates.verify(before.armored)["id"] == before.document_id
    assert certificates.verify(after.armored)["id"] == after.document_id
    published = certificates.published_signing_keys()
    assert [(key["kid"], key["status"]) for key in published] == [
        (new_kid, "active"),
        (before.kid, "retired"),
    ]


def test_retired_key_with_only_its_public_half_still_verifies(key_dir):
    from cryptography.hazmat.primitives import serialization

    before = issue()
    old = signing_keys.load_key_set().active
    signing_keys.write_new_key(key_dir, activate=True)
    public_pem = old.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    old.path.write_bytes(public_pem)

    assert certificates.verify(before.armored)["id"] == before.document_id
    assert [key["status"] for key in certificates.published_signing_keys()] == ["active", "retired"]


def test_withdrawn_key_no_longer_verifies(key_dir):
    before = issue()
    old = signing_keys.load_key_set().active
    signing_keys.write_new_key(key_dir, activate=True)
    old.path.unlink()

    assert code_of(before.armored) == "UNKNOWN_KEY"


def test_published_keys_match_the_signing_keys():
    published = certificates.published_signing_keys()

    assert [key["kid"] for key in published] == [TEST_KID, RETIRED_TEST_KID]
    for key in published:
        raw = base64.urlsafe_b64decode(key["public_key"] + "=")
        assert len(raw) == 32
        assert set(key) == {"kid", "alg", "public_key", "status", "created"}
        assert key["alg"] == "Ed25519"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", key["created"])
    assert published[0]["created"] == "2026-01-01T00:00:00Z"


def test_kid_is_derived_from_the_public_key():
    import hashlib

    key = signing_keys.load_key_set().active
    assert key.kid == hashlib.sha256(key.public_bytes).hexdigest()[:16]


def test_no_key_directory_refuses_to_sign(settings):
    settings.LICENSE_SIGNING_KEY_DIR = ""

    with pytest.raises(signing_keys.SigningKeyError):
        issue()


def test_empty_key_directory_in_production_refuses_to_sign(tmp_path, settings):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)

    with pytest.raises(signing_keys.SigningKeyError, match="ACTIVE"):
        issue()
    assert list(tmp_path.iterdir()) == []


def test_development_creates_a_key_on_first_use_and_says_so(tmp_path, settings, caplog):
    settings.DEBUG = True
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path / "dev-keys")

    document = issue()
    issue()

    assert certificates.verify(document.armored)["license_id"] == "lic-42"
    assert (tmp_path / "dev-keys" / f"{document.kid}.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "dev-keys" / ".gitignore").read_text() == "*\n"
    assert [record.levelname for record in caplog.records].count("WARNING") == 1
    assert "development" in caplog.records[0].getMessage()


def test_active_file_naming_a_missing_key_is_refused(key_dir):
    (key_dir / "ACTIVE").write_text("0123456789abcdef\n")

    with pytest.raises(signing_keys.SigningKeyError, match="0123456789abcdef"):
        issue()


def test_new_key_files_are_private_and_never_overwritten(key_dir, monkeypatch):
    kid = signing_keys.load_key_set().active_kid
    original = (key_dir / f"{kid}.pem").read_bytes()
    same_key = signing_keys._read_key_file(key_dir / f"{kid}.pem").private_key
    monkeypatch.setattr(Ed25519PrivateKey, "generate", staticmethod(lambda: same_key))

    with pytest.raises(FileExistsError):
        signing_keys.write_new_key(key_dir, activate=False, now=NOW)

    assert (key_dir / f"{kid}.pem").read_bytes() == original
    assert (key_dir / f"{kid}.pem").stat().st_mode & 0o777 == 0o600
    assert {path.name for path in key_dir.iterdir()} == {"ACTIVE", f"{kid}.pem"}


def test_a_file_that_is_not_a_key_is_reported_by_name(key_dir):
    (key_dir / "broken.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")

    with pytest.raises(signing_keys.SigningKeyError, match=r"broken\.pem"):
        issue()


def test_timestamp_parser_round_trips():
    assert certificates.parse_timestamp("2026-11-01T12:30:15Z") == NOW.replace(microsecond=0)
    assert NOW + timedelta(days=1) > certificates.parse_timestamp("2026-11-01T12:30:15Z")
