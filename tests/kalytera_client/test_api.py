"""The HTTP layer of the reference client against a local stub of the machine API."""

import socket
from datetime import UTC, datetime

import pytest

from kalytera_client import api, identity
from licensing import certificates, signing_keys

LICENSE_KEY = "KLY1-ABCD-EFGH-JKMN-PQRS-TVWX"
MACHINE_ID = "4c4c4544-0042-3510-8051-b4c04f563232"
MACHINE = identity.derive(MACHINE_ID, {"board": "MB-2026-000417", "disk0": "WD-1"})


def as_json(document: certificates.IssuedDocument) -> dict:
    """A signed document as the machine API shows it."""
    return {
        "id": document.document_id,
        "kid": document.kid,
        "issued_at": document.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "armored": document.armored,
    }


def certificate_for(fingerprint: str = MACHINE.fingerprint) -> dict:
    return as_json(
        certificates.issue_certificate(
            license_id="lic-1",
            plan="Professional",
            kind="subscription",
            channels=16,
            features=["lpr"],
            fingerprint=fingerprint,
            expires_at=datetime(2027, 11, 1, tzinfo=UTC),
            upgrade_plan_until=None,
            grace_days=14,
            offline_validity_days=30,
        )
    )


def activation_answer(body) -> dict:
    return {
        "activation": {"id": "act-1", "name": body.get("name")},
        "license": {"id": "lic-1", "status": "active"},
        "certificate": certificate_for(),
    }


@pytest.fixture
def platform(stub_platform):
    stub_platform.answer("/api/v1/signing-keys", 200, {"keys": certificates.published_signing_keys()})
    return stub_platform


@pytest.fixture
def client(platform):
    return api.LicensingClient(platform.url, timeout=5)


def test_activation_sends_digests_only_and_returns_a_verified_certificate(platform, client):
    platform.answer("/api/v1/activations", 201, activation_answer)

    result = client.activate(license_key=LICENSE_KEY, identity=MACHINE, name="Gate", product_version="6.2.1")

    assert result.created is True
    assert result.certificate.claims["fingerprint"] == MACHINE.fingerprint
    sent = next(request for request in platform.requests if request["path"] == "/api/v1/activations")
    assert sent["body"] == {
        "license_key": LICENSE_KEY,
        "fingerprint": MACHINE.fingerprint,
        "components": list(MACHINE.components),
        "name": "Gate",
        "product_version": "6.2.1",
        "nonce": sent["body"]["nonce"],
    }
    assert len(sent["body"]["nonce"]) == 32
    for raw_identifier in (MACHINE_ID, "MB-2026-000417", "mb-2026-000417", "WD-1"):
        assert raw_identifier.encode() not in b"".join(request["raw"] for request in platform.requests)


def test_reactivation_answered_200_is_not_created(platform, client):
    platform.answer("/api/v1/activations", 200, activation_answer)

    assert client.activate(license_key=LICENSE_KEY, identity=MACHINE).created is False


def test_refusal_carries_the_stable_code(platform, client):
    platform.answer(
        "/api/v1/activations",
        409,
        {
            "error": {
                "code": "TOO_MANY_MACHINES",
                "message": "All 2 seats are in use.",
                "fields": {"seats": 2},
            }
        },
    )

    with pytest.raises(api.ApiError) as caught:
        client.activate(license_key=LICENSE_KEY, identity=MACHINE)
    assert (caught.value.code, caught.value.status, caught.value.fields) == (
        "TOO_MANY_MACHINES",
        409,
        {"seats": 2},
    )
    assert not isinstance(caught.value, api.Unreachable)


def test_rate_limit_tells_when_to_retry(platform, client):
    platform.answer(
        "/api/v1/validate",
        429,
        {"error": {"code": "RATE_LIMITED", "message": "Slow down."}},
        {"Retry-After": "30"},
    )

    with pytest.raises(api.ApiError) as caught:
        client.validate(license_key=LICENSE_KEY, identity=MACHINE)
    assert (caught.value.code, caught.value.retry_after) == ("RATE_LIMITED", 30)


def test_validation_refused_is_an_answer_not_an_exception(platform, client):
    platform.answer("/api/v1/validate", 200, {"valid": False, "code": "EXPIRED"})

    result = client.validate(license_key=LICENSE_KEY, identity=MACHINE, usage={"cameras": 12})

    assert (result.valid, result.code, result.certificate) == (False, "EXPIRED", None)
    assert platform.requests[0]["body"]["usage"] == {"cameras": 12}


def test_valid_validation_returns_the_fresh_certificate(platform, client):
    platform.answer(
        "/api/v1/validate",
        200,
        lambda body: {"valid": True, "code": "VALID", "certificate": certificate_for()},
    )

    result = client.validate(license_key=LICENSE_KEY, identity=MACHINE, product_version="6.2.1")

    assert result.valid and result.certificate.claims["channels"] == 16


def test_deactivation_returns_the_verified_receipt(platform, client):
    receipt = certificates.issue_deactivation_receipt(
        license_id="lic-1", fingerprint=MACHINE.fingerprint, deactivated_at=datetime.now(UTC)
    )
    platform.answer("/api/v1/deactivate", 200, {"activation": {}, "receipt": as_json(receipt)})

    result = client.deactivate(license_key=LICENSE_KEY, identity=MACHINE)

    assert result.receipt.claims["id"] == receipt.document_id
    sent = next(request for request in platform.requests if request["path"] == "/api/v1/deactivate")
    assert set(sent["body"]) == {"license_key", "fingerprint", "nonce"}


def test_an_answer_without_the_nonce_is_refused(platform, client):
    platform.echo_nonce = False
    platform.answer("/api/v1/validate", 200, {"valid": True, "code": "VALID", "nonce": "replayed"})

    with pytest.raises(api.BadAnswer, match="nonce"):
        client.validate(license_key=LICENSE_KEY, identity=MACHINE)


def test_a_certificate_for_another_machine_is_refused(platform, client):
    platform.answer(
        "/api/v1/activations",
        201,
        lambda body: activation_answer(body) | {"certificate": certificate_for("f" * 64)},
    )

    with pytest.raises(api.BadAnswer, match="another machine"):
        client.activate(license_key=LICENSE_KEY, identity=MACHINE)


def test_a_tampered_certificate_is_refused(platform, client):
    def tampered(body):
        document = certificate_for()
        lines = document["armored"].splitlines()
        document["armored"] = document["armored"].replace(lines[2], lines[3], 1)
        return activation_answer(body) | {"certificate": document}

    platform.answer("/api/v1/activations", 201, tampered)

    with pytest.raises(api.BadAnswer, match="fails"):
        client.activate(license_key=LICENSE_KEY, identity=MACHINE)


def test_a_rotated_key_is_fetched_once_when_its_kid_appears(platform, client, settings, tmp_path):
    client.signing_keys()
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    signing_keys.write_new_key(tmp_path, activate=True)
    platform.answers["/api/v1/signing-keys"] = [(200, {"keys": certificates.published_signing_keys()}, {})]
    platform.answer("/api/v1/activations", 201, activation_answer)

    assert client.activate(license_key=LICENSE_KEY, identity=MACHINE).certificate.kid == (
        signing_keys.load_key_set().active_kid
    )
    assert [request["path"] for request in platform.requests].count("/api/v1/signing-keys") == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {"error": {"code": "INTERNAL", "message": "?"}}, api.Unreachable),
        (503, b"<html>maintenance</html>", api.Unreachable),
        (200, b"<html>captive portal</html>", api.BadAnswer),
        (200, [1, 2], api.BadAnswer),
        (400, b"not json", api.BadAnswer),
        (400, {"detail": "no code"}, api.BadAnswer),
        (200, {"valid": "yes", "code": "VALID"}, api.BadAnswer),
    ],
)
def test_answers_outside_the_contract_are_classified(platform, client, status, body, error):
    platform.answer("/api/v1/validate", status, body)

    with pytest.raises(error):
        client.validate(license_key=LICENSE_KEY, identity=MACHINE)


def test_a_closed_port_is_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = api.LicensingClient(f"http://127.0.0.1:{port}", timeout=2)

    with pytest.raises(api.Unreachable):
        client.validate(license_key=LICENSE_KEY, identity=MACHINE)


def test_only_http_addresses_are_accepted():
    with pytest.raises(ValueError):
        api.LicensingClient("file:///etc/passwd")


def test_a_certificate_without_armoured_text_is_refused(platform, client):
    platform.answer(
        "/api/v1/activations", 201, lambda body: activation_answer(body) | {"certificate": {"id": "x"}}
    )

    with pytest.raises(api.BadAnswer, match="armoured"):
        client.activate(license_key=LICENSE_KEY, identity=MACHINE)


def test_the_latest_server_time_is_remembered(platform, client):
    platform.answer("/api/v1/validate", 200, {"valid": False, "code": "EXPIRED"})

    assert client.latest_server_time is None
    client.validate(license_key=LICENSE_KEY, identity=MACHINE)
    assert client.latest_server_time == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
