"""The session list at sign-in: the current session is added, the account's ended ones purged."""

from datetime import timedelta

import pytest
from allauth.usersessions import signals as usersessions_signals
from allauth.usersessions.models import UserSession
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import user_sessions
from kalytera.sessions import SessionStore
from tests import personas

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "REMOTE_ADDR": "198.51.100.23"}


def sign_in(user, **headers) -> Client:
    client = Client(**headers)
    response = client.post(reverse("account_login"), {"login": user.email, "password": personas.PASSWORD})
    assert response.status_code == 302
    return client


def signed_in_request(client: Client, address: str):
    """A request of ``client``'s session, as the login flow hands it to the receiver."""
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.session = SessionStore(client.cookies["sessionid"].value)
    request.user = get_user(request)
    return request


def test_a_sign_in_adds_the_session_with_address_and_browser(customer):
    client = sign_in(customer, **BROWSER)
    session = UserSession.objects.get(user=customer)
    assert session.session_key == client.session.session_key
    assert session.ip == "198.51.100.23"
    assert session.user_agent.startswith("Mozilla/5.0")


def test_a_sign_in_purges_the_accounts_ended_sessions(customer, other_customer):
    ended = sign_in(customer)
    kept = sign_in(customer)
    elsewhere = sign_in(other_customer)
    Session.objects.filter(session_key=ended.session.session_key).delete()
    current = sign_in(customer)
    assert set(UserSession.objects.filter(user=customer).values_list("session_key", flat=True)) == {
        kept.session.session_key,
        current.session.session_key,
    }
    assert UserSession.objects.filter(user=other_customer, session_key=elsewhere.session.session_key).exists()


def test_a_session_with_a_stale_password_hash_is_purged(customer):
    before = sign_in(customer)
    customer.set_password("a-new-long-passphrase-here")
    customer.save()
    customer.set_password(personas.PASSWORD)
    customer.save()
    sign_in(customer)
    assert not UserSession.objects.filter(session_key=before.session.session_key).exists()


def test_expired_and_signed_out_sessions_are_purged(customer):
    expired = sign_in(customer)
    signed_out = sign_in(customer)
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    store = SessionStore(signed_out.session.session_key)
    del store[SESSION_KEY]
    store.save()
    current = sign_in(customer)
    assert list(UserSession.objects.filter(user=customer).values_list("session_key", flat=True)) == [
        current.session.session_key
    ]


def test_a_session_signed_by_a_previous_secret_key_is_kept(customer, settings):
    before = sign_in(customer)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "k" * 40
    sign_in(customer)
    assert UserSession.objects.filter(session_key=before.session.session_key).exists()


def test_an_entry_naming_another_accounts_session_is_left_to_allauths_check(customer, other_customer):
    elsewhere = sign_in(other_customer)
    UserSession.objects.filter(user=other_customer).update(user=customer)
    sign_in(customer)
    # allauth's check finds a signed-in user for that session, so it keeps the entry.
    assert UserSession.objects.filter(session_key=elsewhere.session.session_key).exists()


def test_a_sign_in_costs_the_same_queries_however_many_sessions_are_listed(customer):
    counts = []
    for others in (1, 3):
        while UserSession.objects.filter(user=customer).count() < others:
            sign_in(customer)
        client = Client()
        with CaptureQueriesContext(connection) as queries:
            client.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_tracked_session_is_updated_and_its_new_address_signalled(customer):
    client = sign_in(customer, **BROWSER)
    changes = []

    def on_change(sender, from_session, to_session, **kwargs):
        changes.append((from_session.ip, to_session.ip))

    usersessions_signals.session_client_changed.connect(on_change)
    try:
        user_sessions.record_sign_in(signed_in_request(client, "203.0.113.5"))
    finally:
        usersessions_signals.session_client_changed.disconnect(on_change)
    assert UserSession.objects.get(user=customer).ip == "203.0.113.5"
    assert changes == [("198.51.100.23", "203.0.113.5")]


def test_a_row_left_with_the_key_is_taken_over_by_the_signed_in_account(customer, other_customer):
    client = sign_in(customer, **BROWSER)
    key = client.session.session_key
    UserSession.objects.filter(session_key=key).update(user=other_customer)
    user_sessions.record_sign_in(signed_in_request(client, "203.0.113.5"))
    assert UserSession.objects.get(session_key=key).user == customer


# --- Activity on later pages (accounts.user_sessions.UserSessionsMiddleware) ---------------------


def test_later_pages_write_the_entry_at_most_once_per_interval(customer, settings):
    client = sign_in(customer, **BROWSER)
    client.get(reverse("accounts:dashboard"), **BROWSER)  # the first page notes the activity
    seen = UserSession.objects.get(user=customer).last_seen_at
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:dashboard"), **BROWSER)
    assert not [q["sql"] for q in queries.captured_queries if "usersessions_usersession" in q["sql"]]
    assert UserSession.objects.get(user=customer).last_seen_at == seen
    settings.USERSESSIONS_SEEN_EVERY_SECONDS = 0  # the interval has passed
    client.get(reverse("accounts:dashboard"), **BROWSER)
    assert UserSession.objects.get(user=customer).last_seen_at > seen


def test_a_new_address_or_browser_is_written_and_signalled_at_once(customer):
    client = sign_in(customer, **BROWSER)
    client.get(reverse("accounts:dashboard"), **BROWSER)
    changes = []

    def receiver(sender, from_session, to_session, **kwargs):
        changes.append((from_session.ip, to_session.ip, to_session.user_agent))

    usersessions_signals.session_client_changed.connect(receiver)
    try:
        client.get(reverse("accounts:dashboard"), **{**BROWSER, "REMOTE_ADDR": "203.0.113.9"})
        client.get(reverse("accounts:dashboard"), **{**BROWSER, "REMOTE_ADDR": "203.0.113.9",
                                                    "HTTP_USER_AGENT": "Other/1.0"})  # fmt: skip
    finally:
        usersessions_signals.session_client_changed.disconnect(receiver)
    assert changes == [
        ("198.51.100.23", "203.0.113.9", BROWSER["HTTP_USER_AGENT"]),
        ("203.0.113.9", "203.0.113.9", "Other/1.0"),
    ]
    assert UserSession.objects.get(user=customer).ip == "203.0.113.9"


def test_a_new_session_key_is_written_at_once(customer):
    client = sign_in(customer, **BROWSER)
    client.get(reverse("accounts:dashboard"), **BROWSER)
    old_key = client.session.session_key
    session = client.session
    session.cycle_key()  # as a password change does, keeping the data (and the note) of the old key
    session.save()
    client.cookies["sessionid"] = session.session_key
    client.get(reverse("accounts:dashboard"), **BROWSER)
    keys = set(UserSession.objects.filter(user=customer).values_list("session_key", flat=True))
    assert session.session_key in keys and session.session_key != old_key


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_reads_the_list_with_its_sessions_in_one_query_and_adds_one_row(customer):
    sign_in(customer)  # an earlier session, still listed
    with CaptureQueriesContext(connection) as queries:
        Client().post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    statements = [q["sql"] for q in queries.captured_queries]
    listed = [n for n, sql in enumerate(statements) if "usersessions_usersession" in sql]
    assert len(listed) == 2, statements
    assert statements[listed[0]].startswith("SELECT") and '"django_session"' in statements[listed[0]]
    assert statements[listed[1]].startswith("INSERT")
    # Outside a transaction, the INSERT needs none of its own.
    assert statements[listed[1] - 1] != "BEGIN" and statements[listed[1] + 1] != "COMMIT"
    assert not [sql for sql in statements if sql.startswith('SELECT "django_session"')]
    assert UserSession.objects.filter(user=customer).count() == 2
