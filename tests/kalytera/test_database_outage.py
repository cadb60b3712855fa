"""Requests that meet an unreachable database get a clean 503 asking the client to retry."""

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from kalytera import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_answers_503_with_retry_after_when_the_database_is_lost(visitor, monkeypatch, error):
    monkeypatch.setattr(views, "render", lambda *args, **kwargs: (_ for _ in ()).throw(error("gone")))
    response = visitor.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(views.DATABASE_RETRY_AFTER_SECONDS)
    assert b"<h1>Briefly unavailable</h1>" in response.content
    assert response.content.count(b"<h1") == 1


def test_an_api_call_gets_a_json_error_with_a_stable_code(rf):
    request = rf.post("/api/v1/validate")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = views.server_error(request)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    body = json.loads(response.content)
    assert body["error"]["code"] == "UNAVAILABLE"
    assert body["server_time"] and body["nonce"] is None  # as the OpenAPI Error schema requires
    assert "may or may not have been made" in body["error"]["message"]  # a commit may have happened


def test_an_api_fault_is_a_json_500_in_the_envelope(rf):
    try:
        raise ValueError("bug")
    except ValueError:
        response = views.server_error(rf.post("/api/v1/validate"))
    body = json.loads(response.content)
    assert (response.status_code, body["error"]["code"]) == (500, "INTERNAL_ERROR")
    assert "Retry-After" not in response
    assert {"server_time", "nonce"} <= set(body)


def test_the_outage_answer_is_part_of_the_documented_api():
    from licensing import openapi

    assert openapi.ERROR_CODES["UNAVAILABLE"][0] == 503
    for path_item in openapi.document()["paths"].values():
        for operation in path_item.values():
            assert "UNAVAILABLE" in operation["responses"]["503"]["description"]


def test_other_failures_stay_a_500(visitor, monkeypatch):
    monkeypatch.setattr(views, "render", lambda *args, **kwargs: (_ for _ in ()).throw(ValueError("bug")))
    response = visitor.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert b"Something went wrong on our side" in response.content


def test_a_failure_outside_any_exception_is_a_500(rf):
    response = views.server_error(rf.get("/"))
    assert response.status_code == 500
