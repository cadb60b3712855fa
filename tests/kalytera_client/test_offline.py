import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalytera_client import identity, offline
from kalytera_client.armor import armor, canonical_json
from kalytera_client.offline import OfflineRequestError

MACHINE = identity.derive("machine-1", {"board": "MB-1", "disk0": "D-1"})
NOW = datetime(2026, 11, 23, 17, 0, 5, 999, tzinfo=UTC)


def request(**options) -> str:
    return offline.activation_request(
        MACHINE, name="Gate server", product_version="6.2.1", now=NOW, **options
    )


def container_of(text: str) -> bytes:
    lines = text.strip().splitlines()
    return base64.b64decode("".join(lines[1:-1]))


def rebuild(payload: dict | bytes, *, version: int = 1, label: str = "ACTIVATION REQUEST") -> str:
    body = payload if isinstance(payload, bytes) else canonical_json(payload)
    unchecked = b"KALR" + bytes([version]) + len(body).to_bytes(4, "big") + body
    return armor(label, unchecked + hashlib.sha256(unchecked).digest())


def payload_of(text: str) -> dict:
    return json.loads(container_of(text)[9:-32])


def code_of(text, **options) -> str:
    with pytest.raises(OfflineRequestError) as caught:
        offline.parse_request(text, **options)
    return caught.value.code


def test_activation_request_round_trips():
    parsed = offline.parse_request(request(nonce="0" * 32))

    assert parsed == offline.ActivationRequest(
        fingerprint=MACHINE.fingerprint,
        components=MACHINE.components,
        name="Gate server",
        product_version="6.2.1",
        nonce="0" * 32,
        created_at=datetime(2026, 11, 23, 17, 0, 5, tzinfo=UTC),
    )


def test_request_is_a_small_armoured_block_without_raw_identifiers():
    text = request()

    assert text.startswith("-----BEGIN KALYTERA ACTIVATION REQUEST-----\n")
    assert text.endswith("-----END KALYTERA ACTIVATION REQUEST-----\n")
    assert len(text) < 1000
    assert b"machine-1" not in container_of(text) and b"MB-1" not in container_of(text)


def test_every_request_has_a_fresh_nonce():
    assert offline.parse_request(request()).nonce != offline.parse_request(request()).nonce


def test_bytes_from_an_upload_are_accepted():
    assert offline.parse_request(request().encode()).fingerprint == MACHINE.fingerprint


def test_request_survives_crlf_rewrapping_and_whitespace():
    lines = request().strip().splitlines()
    body = "".join(lines[1:-1])
    pasted = "\r\n\r\n  " + "\r\n".join(
        [lines[0], *(f" {body[i : i + 40]}" for i in range(0, len(body), 40)), lines[-1]]
    )

    assert offline.parse_request(pasted + "\r\n  ").name == "Gate server"


def test_deactivation_request_round_trips():
    text = offline.deactivation_request(
        MACHINE, certificate_id="00000000-0000-4000-8000-000000000001", now=NOW
    )
    parsed = offline.parse_request(text, expected_type=offline.DEACTIVATION_REQUEST)

    assert parsed.fingerprint == MACHINE.fingerprint
    assert parsed.certificate_id == "00000000-0000-4000-8000-000000000001"
    assert text.startswith("-----BEGIN KALYTERA DEACTIVATION REQUEST-----")


def test_deactivation_request_is_not_an_activation_request_and_back():
    deactivation = offline.deactivation_request(MACHINE, now=NOW)

    assert code_of(deactivation) == "WRONG_TYPE"
    assert code_of(request(), expected_type=offline.DEACTIVATION_REQUEST) == "WRONG_TYPE"


def test_a_certificate_is_not_a_request():
    from tests.kalytera_client.vectors import VECTOR_DIR

    assert code_of((VECTOR_DIR / "valid-subscription.lic").read_text()) == "WRONG_TYPE"


def test_a_changed_character_is_caught_by_the_checksum():
    container = bytearray(container_of(request()))
    at = container.index(b"Gate")
    container[at] = ord("H")

    assert code_of(armor("ACTIVATION REQUEST", bytes(container))) == "CHECKSUM_MISMATCH"


@pytest.mark.parametrize("cut", [1, 32, 40, 200])
def test_a_cut_off_request_is_caught(cut):
    assert code_of(armor("ACTIVATION REQUEST", container_of(request())[:-cut])) == "CHECKSUM_MISMATCH"


def test_a_cut_off_text_is_called_cut_off_not_foreign():
    # It starts as a request should: docs/vms-client.md names this CHECKSUM_MISMATCH ("cut off").
    assert code_of("\n".join(request().splitlines()[:-2])) == "CHECKSUM_MISMATCH"
    assert code_of("hello") == "MALFORMED"


def test_a_newer_format_version_is_named():
    assert code_of(rebuild(payload_of(request()), version=2)) == "UNSUPPORTED_VERSION"


def test_a_payload_that_disagrees_with_its_label_is_malformed():
    payload = payload_of(request())
    assert code_of(rebuild(payload, label="DEACTIVATION REQUEST"), expected_type="deactivation-request") == (
        "MALFORMED"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"fingerprint": "machine-serial"},
        {"fingerprint": "A" * 64},
        {"components": ["b" * 64, "a" * 64]},
        {"components": ["a" * 64] * 2},
        {"components": [f"{n:064x}" for n in range(17)]},
        {"components": "a" * 64},
        {"name": "x" * 101},
        {"name": "line\nbreak"},
        {"name": 5},
        {"product_version": ""},
        {"product_version": "6.2.1; rm -rf /"},
        {"nonce": "short"},
        {"nonce": 12345},
        {"created_at": "2026-11-23 17:00:00"},
        {"created_at": "2026-13-45T17:00:00Z"},
        {"extra": "field"},
    ],
)
def test_invalid_fields_with_a_good_checksum_are_malformed(change):
    assert code_of(rebuild(payload_of(request()) | change)) == "MALFORMED"


def test_non_canonical_json_with_a_good_checksum_is_malformed():
    body = json.dumps(payload_of(request()), indent=1).encode()

    assert code_of(rebuild(body)) == "MALFORMED"


def test_a_missing_field_is_malformed():
    payload = payload_of(request())
    del payload["nonce"]

    assert code_of(rebuild(payload)) == "MALFORMED"


def test_non_utf8_upload_is_malformed():
    assert code_of(b"\xff\xfe-----BEGIN") == "MALFORMED"


def test_writer_refuses_what_the_reader_would_refuse():
    with pytest.raises(ValueError):
        offline.activation_request(MACHINE, name="x" * 101)
    with pytest.raises(ValueError):
        offline.activation_request(MACHINE, now=datetime(2026, 1, 1))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=500))
def test_random_containers_never_crash_the_parser(data):
    with pytest.raises(OfflineRequestError):
        offline.parse_request(armor("ACTIVATION REQUEST", data))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=500), st.binary(max_size=500)))
def test_random_uploads_never_crash_the_parser(upload):
    with pytest.raises(OfflineRequestError):
        offline.parse_request(upload)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_edits_of_a_real_request_never_crash_the_parser(data):
    text = request()
    position = data.draw(st.integers(0, len(text) - 1))
    edited = text[:position] + data.draw(st.text(max_size=4)) + text[position + 1 :]
    try:
        parsed = offline.parse_request(edited)
    except OfflineRequestError:
        return
    assert parsed.fingerprint == MACHINE.fingerprint  # only edits the armour tolerates may pass


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["typ", "v", "fingerprint", "components", "name", "product_version", "nonce", "created_at"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=70),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=6,
        ),
    )
)
def test_random_payloads_with_good_checksums_never_crash_the_parser(payload):
    try:
        parsed = offline.parse_request(rebuild(payload))
    except OfflineRequestError:
        return
    assert parsed.fingerprint == payload["fingerprint"]


def test_the_example_in_the_documentation_parses():
    from tests.kalytera_client.vectors import FINGERPRINT, ROOT

    document = (ROOT / "docs" / "vms-client.md").read_text(encoding="utf-8")
    start = document.index("-----BEGIN KALYTERA ACTIVATION REQUEST-----")
    end = document.index("-----END KALYTERA ACTIVATION REQUEST-----") + 41
    parsed = offline.parse_request(document[start:end])

    assert (parsed.fingerprint, parsed.name, parsed.nonce) == (
        FINGERPRINT,
        "Gate server",
        "5f0c1e2d3b4a69788796a5b4c3d2e1f0",
    )
    assert len(parsed.components) == 3
