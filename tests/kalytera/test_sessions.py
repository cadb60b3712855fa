"""The session store: encrypted at rest, so a dump of django_session shows no pending code."""

import zlib

import pytest
from django.contrib.sessions.backends import db
from django.core.signing import b64_decode
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kalytera.sessions import SessionStore
from tests.outbox import code_in, latest_to

pytestmark = pytest.mark.django_db


def as_a_dump_reader_sees_it() -> str:
    """Every stored session, decoded as far as one can without SECRET_KEY.

    Django's signed sessions are only base64 and zlib: readable by anyone with the table.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        rows = [row[0] for row in cursor.fetchall()]
    readable = []
    for data in rows:
        readable.append(data)
        payload = data.rsplit(":", 2)[0]
        try:
            raw = b64_decode(payload.lstrip(".").encode())
            readable.append((zlib.decompress(raw) if payload.startswith(".") else raw).decode("latin-1"))
        except Exception:
            continue  # not base64 of a signed value: nothing more to read
    return "\n".join(readable)


def assert_not_readable(code: str) -> None:
    dump = as_a_dump_reader_sees_it()
    assert dump
    assert code not in dump and code.replace("-", "") not in dump


def test_a_pending_login_code_is_not_readable_in_the_session_table(client, customer):
    client.post(reverse("account_request_login_code"), {"email": customer.email})
    code = code_in(latest_to(customer.email).body_text)
    assert_not_readable(code)
    assert client.post(reverse("account_confirm_login_code"), {"code": code}).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_a_pending_password_reset_code_is_not_readable_in_the_session_table(client, customer):
    client.post(reverse("account_reset_password"), {"email": customer.email})
    code = code_in(latest_to(customer.email).body_text)
    assert_not_readable(code)
    assert client.post(reverse("account_confirm_password_reset_code"), {"code": code}).status_code == 302


def test_sessions_sealed_under_a_previous_secret_key_still_open(settings):
    sealed = SessionStore().encode({"kept": "yes"})
    old_key, settings.SECRET_KEY = settings.SECRET_KEY, "a-new-secret-key-" + "k" * 50
    assert SessionStore().decode(sealed) == {}
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert SessionStore().decode(sealed) == {"kept": "yes"}


def test_sessions_stored_before_encryption_still_open_and_altered_ones_do_not():
    assert SessionStore().decode(db.SessionStore().encode({"kept": "yes"})) == {"kept": "yes"}
    sealed = SessionStore().encode({"kept": "yes"})
    assert SessionStore().decode(sealed[:-4] + "AAAA") == {}


def test_a_new_session_is_one_insert_and_a_taken_key_is_never_reused(monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.create()
    drawn = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr("kalytera.sessions.get_random_string", lambda *args: next(drawn))
    fresh = SessionStore()
    fresh["owner"] = "second"
    with CaptureQueriesContext(connection) as queries:
        fresh.create()
    assert fresh.session_key == "k" * 32
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert SessionStore(taken.session_key).load()["owner"] == "first"
    assert SessionStore(fresh.session_key).load()["owner"] == "second"
