from datetime import datetime, timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from kalytera import views

pytestmark = pytest.mark.django_db


def test_home_says_what_the_platform_is(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"<h1>The customer platform for Kalytera VMS</h1>" in response.content
    assert response.content.count(b"<h1") == 1


def test_healthz_answers_ok_when_database_and_cache_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "cache": True}, "down": []}


def test_healthz_answers_503_naming_the_database_when_it_is_down(client, monkeypatch):
    # The cache being down is tested against a real Redis in test_cache_outage.py.
    def lost():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", lost)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


def test_healthz_answers_probes_by_address_whatever_the_allowed_hosts(client, settings):
    settings.ALLOWED_HOSTS = ["platform.example"]
    assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_healthz_refuses_post(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_security_txt_follows_rfc_9116(client, settings):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == settings.SECURITY_CONTACTS[0]
    assert fields["Policy"].endswith(settings.SECURITY_POLICY_PATH)
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.UTC)
    # RFC 9116 recommends less than a year; we also keep it far from lapsing.
    assert timezone.now() + timedelta(days=60) < expires < timezone.now() + timedelta(days=365)


def test_unknown_page_gets_the_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"site.css" in response.content


def test_expired_form_gets_the_styled_403(customer):
    from django.test import Client

    from tests.pages import page_problems

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": customer.email, "password": "x"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert page_problems(response.content.decode()) == []


def test_server_error_page_needs_nothing_but_the_template(rf):
    from kalytera.views import server_error

    response = server_error(rf.get("/"))  # a bare request: no session, no user
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_denied_and_bad_request_pages_are_styled(rf):
    from django.contrib.auth.models import AnonymousUser

    from kalytera.views import bad_request, permission_denied

    request = rf.get("/")
    request.user = AnonymousUser()
    assert b"Not allowed" in permission_denied(request).content
    assert bad_request(request).status_code == 400


def test_the_favicon_is_found_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_the_error_handlers_answer_the_api_envelope_under_api(rf):
    import json

    from kalytera.views import bad_request, csrf_failure, page_not_found, permission_denied, too_many_requests

    request = rf.post("/api/v1/validate")
    for handler, status, code in (
        (bad_request, 400, "INVALID_REQUEST"),
        (permission_denied, 403, "FORBIDDEN"),
        (csrf_failure, 403, "FORBIDDEN"),
        (page_not_found, 404, "NOT_FOUND"),
        (too_many_requests, 429, "RATE_LIMITED"),
    ):
        response = handler(request)
        body = json.loads(response.content)
        assert (response.status_code, body["error"]["code"]) == (status, code), handler.__name__
        assert {"server_time", "nonce"} <= set(body)
