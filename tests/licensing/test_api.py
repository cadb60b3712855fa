import json
import logging

import pytest

from licensing import certificates, openapi, services
from licensing.models import Activation
from licensing.services import Actor
from tests.licensing.conftest import digest

FP = digest("vms-1")


def post(client, path, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        f"/api/v1/{path}", data, content_type=extra.pop("content_type", "application/json"), **extra
    )


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def key(owned_license):
    return owned_license[1]


def test_activation_answers_201_then_200_with_the_same_activation(client, key):
    first = post(
        client, "activations", {"license_key": key, "fingerprint": FP, "name": "Rack 1", "nonce": "a1"}
    )
    assert first.status_code == 201
    body = first.json()
    assert body["outcome"] == "created"
    assert body["nonce"] == "a1"
    assert body["server_time"].endswith("Z")
    assert body["activation"]["name"] == "Rack 1"
    assert body["license"]["max_machines"] == 2
    assert certificates.verify(body["certificate"]["armored"])["fingerprint"] == FP
    second = post(client, "activations", {"license_key": key, "fingerprint": FP.upper()})
    assert second.status_code == 200
    assert second.json()["outcome"] == "existing"
    assert second.json()["activation"]["id"] == body["activation"]["id"]
    assert second.json()["nonce"] is None


def test_a_full_license_answers_409_too_many_machines(client, key):
    for name in ("a", "b"):
        assert (
            post(client, "activations", {"license_key": key, "fingerprint": digest(name)}).status_code == 201
        )
    response = post(client, "activations", {"license_key": key, "fingerprint": digest("c"), "nonce": "n"})
    assert (response.status_code, error_code(response)) == (409, "TOO_MANY_MACHINES")
    assert response.json()["nonce"] == "n"


def test_validate_always_answers_200_with_a_code(client, key, issue):
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    valid = post(client, "validate", {"license_key": key, "fingerprint": FP, "product_version": "6.2.0"})
    assert valid.status_code == 200
    assert (valid.json()["valid"], valid.json()["code"]) == (True, "VALID")
    assert valid.json()["certificate"]["kid"]
    unknown_machine = post(client, "validate", {"license_key": key, "fingerprint": digest("x")})
    assert (unknown_machine.status_code, unknown_machine.json()["code"]) == (200, "NOT_ACTIVATED")
    assert unknown_machine.json()["certificate"] is None
    _, unused_key = issue(None)  # issued, never activated
    assert (
        post(client, "validate", {"license_key": unused_key, "fingerprint": FP}).json()["code"]
        == "NOT_ACTIVATED"
    )


def test_validate_with_an_unknown_key_says_license_not_found(client, db):
    from licensing import keys

    response = post(client, "validate", {"license_key": keys.generate(), "fingerprint": FP})
    assert response.status_code == 200
    assert response.json()["code"] == "LICENSE_NOT_FOUND"
    assert response.json()["license"] is None


def test_validate_hints_at_a_hardware_change_when_components_match(client, key):
    parts = [digest("board"), digest("disk"), digest("nic")]
    post(client, "activations", {"license_key": key, "fingerprint": FP, "components": parts, "name": "NVR"})
    response = post(
        client, "validate", {"license_key": key, "fingerprint": digest("new"), "components": parts[:2]}
    )
    assert response.json()["code"] == "NOT_ACTIVATED"
    assert "changed hardware" in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "activate_code", "validate_code"),
    [
        (services.suspend_license, "LICENSE_SUSPENDED", "SUSPENDED"),
        (services.revoke_license, "LICENSE_REVOKED", "REVOKED"),
    ],
)
def test_suspended_and_revoked_answers(client, owned_license, change, activate_code, validate_code):
    license, key = owned_license
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    change(license=license, actor=Actor.system())
    refused = post(client, "activations", {"license_key": key, "fingerprint": digest("other")})
    assert (refused.status_code, error_code(refused)) == (403, activate_code)
    verdict = post(client, "validate", {"license_key": key, "fingerprint": FP})
    assert (verdict.json()["valid"], verdict.json()["code"]) == (False, validate_code)


def test_expired_answers(client, owned_license):
    from datetime import timedelta

    from django.utils import timezone

    license, key = owned_license
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    license.expires_at = timezone.now() - timedelta(days=license.plan.grace_days + 1)
    license.save(update_fields=["expires_at"])
    refused = post(client, "activations", {"license_key": key, "fingerprint": digest("other")})
    assert (refused.status_code, error_code(refused)) == (403, "LICENSE_EXPIRED")
    assert post(client, "validate", {"license_key": key, "fingerprint": FP}).json()["code"] == "EXPIRED"
    license.expires_at = timezone.now() - timedelta(days=1)
    license.save(update_fields=["expires_at"])
    grace = post(client, "validate", {"license_key": key, "fingerprint": FP}).json()
    assert (grace["valid"], grace["code"]) == (True, "GRACE_PERIOD")


def test_deactivate_returns_a_signed_receipt_and_frees_the_seat(client, key):
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    response = post(client, "deactivate", {"license_key": key, "fingerprint": FP, "nonce": "bye"})
    assert response.status_code == 200
    body = response.json()
    assert body["nonce"] == "bye"
    assert body["activation"]["status"] == "released"
    receipt = certificates.verify(body["receipt"]["armored"], expected_type=certificates.DEACTIVATION_RECEIPT)
    assert receipt["fingerprint"] == FP
    other = post(client, "deactivate", {"license_key": key, "fingerprint": digest("never-active")})
    assert (other.status_code, error_code(other)) == (404, "NOT_ACTIVATED")


def test_a_retried_deactivation_returns_the_same_receipt_for_a_day(client, key):
    from datetime import timedelta

    from django.utils import timezone

    post(client, "activations", {"license_key": key, "fingerprint": FP})
    first = post(client, "deactivate", {"license_key": key, "fingerprint": FP}).json()
    retry = post(client, "deactivate", {"license_key": key, "fingerprint": FP})  # the answer was lost
    assert retry.status_code == 200
    assert retry.json()["receipt"] == first["receipt"]
    assert retry.json()["activation"] == first["activation"]
    later = timezone.now() + services.DEACTIVATION_RETRY_WINDOW + timedelta(minutes=1)
    with pytest.raises(services.LicensingError) as refused:
        services.deactivate_machine(key=key, fingerprint=FP, now=later)
    assert refused.value.code == "NOT_ACTIVATED"


def test_a_deactivation_retry_after_a_release_elsewhere_is_not_activated(client, key, owned_license):
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    post(client, "deactivate", {"license_key": key, "fingerprint": FP})
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    license, activation = owned_license[0], owned_license[0].activations.get(is_active=True)
    services.release_machine(license=license, activation_id=activation.public_id, actor=Actor.system())
    again = post(client, "deactivate", {"license_key": key, "fingerprint": FP})
    assert (again.status_code, error_code(again)) == (404, "NOT_ACTIVATED")


def test_deactivations_beyond_the_yearly_moves_answer_409_move_limit(client, key):
    for n in range(3):
        post(client, "activations", {"license_key": key, "fingerprint": digest(str(n))})
        assert (
            post(client, "deactivate", {"license_key": key, "fingerprint": digest(str(n))}).status_code == 200
        )
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    refused = post(client, "deactivate", {"license_key": key, "fingerprint": FP})
    assert (refused.status_code, error_code(refused)) == (409, "MOVE_LIMIT")


def test_hardware_change_beyond_the_allowance_answers_409(client, key):
    parts = [digest("board"), digest("disk"), digest("nic")]
    post(client, "activations", {"license_key": key, "fingerprint": digest("v0"), "components": parts})
    for n in range(1, 3):
        parts = [*parts[:2], digest(f"nic{n}")]
        answer = post(
            client, "activations", {"license_key": key, "fingerprint": digest(f"v{n}"), "components": parts}
        )
        assert (answer.status_code, answer.json()["outcome"]) == (200, "rebound")
    parts = [*parts[:2], digest("nic9")]
    refused = post(
        client, "activations", {"license_key": key, "fingerprint": digest("v9"), "components": parts}
    )
    assert (refused.status_code, error_code(refused)) == (409, "HARDWARE_CHANGE_LIMIT")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fingerprint": FP}, "license_key"),
        ({"license_key": "KLY", "fingerprint": "not-hex"}, "fingerprint"),
        ({"license_key": "KLY", "fingerprint": FP, "extra": 1}, "extra"),
        ({"license_key": 42, "fingerprint": FP}, "license_key"),
        ({"license_key": "KLY", "fingerprint": FP, "components": "abc"}, "components"),
        ({"license_key": "KLY", "fingerprint": FP, "components": [FP] * 17}, "components"),
        ({"license_key": "KLY", "fingerprint": FP, "name": "a\x00b"}, "name"),
        ({"license_key": "KLY", "fingerprint": FP, "name": "x" * 101}, "name"),
        ({"license_key": "KLY", "fingerprint": FP, "product_version": "6 2"}, "product_version"),
        ({"license_key": "KLY", "fingerprint": FP, "nonce": 5}, "nonce"),
        ({"license_key": "KLY", "fingerprint": FP, "name": "\ud800"}, "name"),
    ],
)
def test_malformed_fields_are_named_in_a_400(client, db, body, field):
    response = post(client, "activations", body)
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("activations", {"name": "NVR\u202egnp.exe"}),
        ("validate", {"nonce": "n\u200b"}),
        ("activations", {"name": "\x9b1m"}),
    ],
)
def test_invisible_and_control_characters_answer_invalid_characters(client, key, path, body):
    response = post(client, path, {"license_key": key, "fingerprint": FP, **body})
    assert (response.status_code, error_code(response)) == (400, "INVALID_CHARACTERS")
    (field,) = body
    assert "U+" in response.json()["error"]["fields"][field]
    assert not Activation.objects.exists()


def test_a_nonce_with_a_format_character_on_signing_keys_is_named(client, db):
    response = client.get("/api/v1/signing-keys", {"nonce": "k\u202e"})
    assert (response.status_code, error_code(response)) == (400, "INVALID_CHARACTERS")


@pytest.mark.parametrize(
    "raw",
    ["{", "[]", "null", '"text"', "NaN", '{"a": Infinity}', "[" * 5000 + "]" * 5000, b"\xff\xfe", "1" * 5000],
)
def test_anything_but_a_json_object_is_a_400(client, db, raw):
    response = post(client, "validate", raw)
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    assert response.json()["server_time"]


def test_usage_must_be_small_whole_counts(client, key):
    for usage in ({"cameras": -1}, {"cameras": 1.5}, {"Cameras": 1}, {f"m{n}": 1 for n in range(17)}, []):
        response = post(client, "validate", {"license_key": key, "fingerprint": FP, "usage": usage})
        assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST"), usage


def test_a_key_with_a_typo_answers_invalid_license_key(client, key):
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    response = post(client, "activations", {"license_key": typo, "fingerprint": FP})
    assert (response.status_code, error_code(response)) == (400, "INVALID_LICENSE_KEY")
    assert "typo" in response.json()["error"]["message"]


def test_the_published_schema_accepts_issued_keys_and_names_a_malformed_one(client, key):
    from tests.api_contract import openapi_validator

    schema = openapi_validator("ValidateRequest")
    assert schema.is_valid({"license_key": key, "fingerprint": FP})
    assert schema.is_valid({"license_key": key.lower().replace("-", " "), "fingerprint": FP})
    assert not schema.is_valid({"license_key": "KLY-1234", "fingerprint": FP})
    refused = post(client, "validate", {"license_key": "KLY-1234", "fingerprint": FP})
    assert (refused.status_code, error_code(refused)) == (400, "INVALID_REQUEST")
    assert "license key" in refused.json()["error"]["fields"]["license_key"]


def test_wrong_content_type_oversize_body_and_wrong_method_have_json_errors(client, db, settings):
    wrong_type = client.post(
        "/api/v1/activations", "license_key=x", content_type="application/x-www-form-urlencoded"
    )
    assert (wrong_type.status_code, error_code(wrong_type)) == (415, "UNSUPPORTED_MEDIA_TYPE")
    big = post(client, "validate", {"license_key": "x" * (settings.LICENSING_API_MAX_BODY_BYTES + 1)})
    assert (big.status_code, error_code(big)) == (413, "PAYLOAD_TOO_LARGE")
    get = client.get("/api/v1/activations")
    assert (get.status_code, error_code(get), get["Allow"]) == (405, "METHOD_NOT_ALLOWED", "POST")
    assert client.post("/api/v1/signing-keys").status_code == 405
    for path in ("/api/v1/nothing-here", "/api/v1", "/api/v1/activations/"):
        missing = client.post(path, "{}", content_type="application/json")
        assert (missing.status_code, error_code(missing)) == (404, "NOT_FOUND"), path


def test_every_api_path_answers_json_even_for_methods_and_paths_it_does_not_serve(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # a VMS sends no CSRF token
    for path in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = client.post(path, "{}", content_type="application/json")
        assert (response.status_code, error_code(response)) == (405, "METHOD_NOT_ALLOWED"), path
        assert response["Allow"] == "GET, HEAD"
    for path in ("/api/", "/api/v2/validate"):
        response = client.get(path)
        assert (response.status_code, error_code(response)) == (404, "NOT_FOUND"), path
        assert {"server_time", "nonce"} <= set(response.json())


def test_the_contract_check_catches_a_body_that_drifts():
    from tests import api_contract

    validator = api_contract.error_validator()
    good = {
        "error": {"code": "NOT_FOUND", "message": "x"},
        "server_time": "2026-01-01T00:00:00Z",
        "nonce": None,
    }
    check = api_contract.problems
    assert check("/api/x", 404, "application/json", json.dumps(good).encode(), validator) == []
    no_time = {"error": good["error"]}
    assert check("/api/x", 404, "application/json", json.dumps(no_time).encode(), validator)
    unknown = {**good, "error": {"code": "OOPS", "message": "x"}}
    assert check("/api/x", 404, "application/json", json.dumps(unknown).encode(), validator)
    assert check("/api/x", 500, "application/json", json.dumps(good).encode(), validator)  # wrong status
    assert check("/api/x", 404, "text/html", b"<h1>Not found</h1>", validator)


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post(client, "validate", {"license_key": "x", "fingerprint": FP})
    assert response.status_code == 400
    assert not response.cookies


def test_signing_keys_are_published_with_nonce_echo(client, db):
    response = client.get("/api/v1/signing-keys", {"nonce": "k1"})
    assert response.status_code == 200
    body = response.json()
    assert body["nonce"] == "k1"
    assert body["keys"][0]["alg"] == "Ed25519"
    assert body["keys"][0]["status"] == "active"


def test_address_and_license_rate_limits_answer_429_with_retry_after(client, key, settings):
    settings.LICENSING_API_RATE_PER_LICENSE = "2/m"
    for _ in range(2):
        assert post(client, "validate", {"license_key": key, "fingerprint": FP}).status_code == 200
    limited = post(client, "validate", {"license_key": key, "fingerprint": FP, "nonce": "slow"})
    assert (limited.status_code, error_code(limited)) == (429, "RATE_LIMITED")
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["nonce"] == "slow"
    settings.LICENSING_API_RATE_PER_ADDRESS = "3/m"
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        post(client, "validate", {"license_key": "garbage", "fingerprint": FP})
    by_address = post(client, "validate", {"license_key": "garbage", "fingerprint": FP})
    assert (by_address.status_code, error_code(by_address)) == (429, "RATE_LIMITED")


def test_the_key_never_appears_in_a_log(client, key, caplog):
    caplog.set_level(logging.DEBUG)
    post(client, "activations", {"license_key": key, "fingerprint": FP})
    post(client, "validate", {"license_key": key, "fingerprint": "bad"})
    post(client, "deactivate", {"license_key": key, "fingerprint": digest("nobody")})
    assert caplog.records  # the 4xx answers are logged, so the check below means something
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert key not in text
        assert FP not in text


def test_the_openapi_document_describes_exactly_the_served_endpoints(client, db):
    from django.urls import get_resolver

    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/api/v1/activations", "/api/v1/validate", "/api/v1/deactivate",
                                      "/api/v1/signing-keys", "/api/org/v1/licenses",
                                      "/api/org/v1/licenses/{license_id}"}  # fmt: skip
    served = {
        "/" + str(pattern.pattern).replace("<str:license_id>", "{license_id}")
        for pattern in get_resolver().url_patterns
        for pattern in getattr(pattern, "url_patterns", [pattern])
        if str(pattern.pattern).startswith("api/")
    }
    assert set(document["paths"]) <= served
    activation = document["paths"]["/api/v1/activations"]["post"]
    assert {"200", "201", "400", "403", "404", "409", "429"} <= set(activation["responses"])
    assert set(openapi.ERROR_CODES) == set(document["components"]["schemas"]["Error"]["properties"]["error"]
                                           ["properties"]["code"]["enum"])  # fmt: skip


def test_the_docs_page_is_rendered_on_the_server_without_scripts(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "<script" not in html and "style=" not in html
    for code in openapi.ERROR_CODES:
        assert code in html
    assert "/api/v1/activations" in html


def test_the_developer_guide_documents_every_code_and_endpoint():
    from django.conf import settings

    guide = (settings.BASE_DIR / "docs" / "api.md").read_text()
    for code in [*openapi.ERROR_CODES, *openapi.VALIDATION_CODES]:
        assert f"`{code}`" in guide, code
    for path in openapi.OPERATIONS:
        assert path in guide, path


def test_validate_names_the_newest_release_the_license_covers(client, key, product):
    from datetime import date

    from licensing.models import Release
    from tests.licensing.releases_seed import release

    post(client, "activations", {"license_key": key, "fingerprint": FP})
    assert post(client, "validate", {"license_key": key, "fingerprint": FP}).json()["newest_release"] is None
    release(product, "6.10.0", date(2026, 11, 10), notes="New")
    release(product, "6.9.0", date(2026, 11, 20))
    release(product, "7.0.0", date(2026, 11, 21), state=Release.State.DRAFT)
    answer = post(
        client, "validate", {"license_key": key, "fingerprint": FP, "product_version": "6.2.0"}
    ).json()
    assert answer["newest_release"] == {
        "version": "6.10.0",
        "released_on": "2026-11-10",
        "notes_url": "http://127.0.0.1:8000/releases/kalytera-vms/6.10.0/",
    }


def test_validate_of_an_unknown_key_names_no_release(client, db):
    from licensing import keys

    answer = post(client, "validate", {"license_key": keys.generate(), "fingerprint": FP}).json()
    assert (answer["code"], answer["newest_release"]) == ("LICENSE_NOT_FOUND", None)
