"""The security timeline: recorded from allauth's signals and our own flows, shown, and expired."""

import gc
from datetime import timedelta

import pytest
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import inspect as django_inspect
from django.utils import timezone

from accounts import security_events
from accounts.models import SecurityEvent, User
from tests import personas
from tests.outbox import code_in, latest_to

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "REMOTE_ADDR": "198.51.100.23"}


def kinds(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def test_a_sign_in_is_recorded_with_address_and_browser(customer):
    client = Client(**BROWSER)
    client.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    event = SecurityEvent.objects.get(user=customer, kind=Kind.LOGIN)
    assert event.ip == "198.51.100.23"
    assert event.user_agent.startswith("Mozilla/5.0")


def test_a_sign_in_is_recorded_after_garbage_collection(customer):
    # In production (DEBUG off) nothing but the signal refers to the receivers: the cache
    # that Django's DEBUG-only receiver check fills must not be what keeps them alive.
    django_inspect._get_func_parameters.cache_clear()
    gc.collect()
    Client(**BROWSER).post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    assert kinds(customer) == [Kind.LOGIN]


def test_a_failed_sign_in_is_recorded_for_the_account(customer):
    Client(**BROWSER).post(reverse("account_login"), {"login": customer.email, "password": "wrong-password"})
    assert kinds(customer) == [Kind.LOGIN_FAILED]


def test_a_failed_sign_in_for_an_unknown_address_records_nothing(db):
    Client().post(reverse("account_login"), {"login": "nobody@nowhere.example", "password": "whatever-pw"})
    assert not SecurityEvent.objects.exists()


def test_sign_in_codes_sent_and_rejected_are_recorded(customer):
    client = Client(**BROWSER)
    client.post(reverse("account_request_login_code"), {"email": customer.email})
    assert kinds(customer) == [Kind.LOGIN_CODE_SENT]
    code = code_in(latest_to(customer.email).body_text)
    wrong = "AAAA-AAAA" if code != "AAAA-AAAA" else "BBBB-BBBB"
    client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert Kind.LOGIN_CODE_REJECTED in kinds(customer)


def test_password_change_is_recorded(sudo_client, customer):
    response = sudo_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": personas.PASSWORD,
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert Kind.PASSWORD_CHANGED in kinds(customer)


def test_changing_the_email_address_is_recorded(sudo_client, customer):
    new = "carla.new@customer.example"
    response = sudo_client.post(reverse("account_email"), {"action_add": "", "email": new})
    assert response.status_code == 302
    code = code_in(latest_to(new).body_text)
    sudo_client.post(response["Location"], {"code": code})
    assert kinds(customer) == [Kind.EMAIL_ADDED, Kind.EMAIL_CHANGED]


def test_signing_up_records_no_change_of_email_address(client):
    email = "new.person@example.com"
    client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
            "age_confirmed": "on",
            "policies_accepted": "on",
        },
    )
    client.post(reverse("account_email_verification_sent"), {"code": code_in(latest_to(email).body_text)})
    assert Kind.EMAIL_CHANGED not in kinds(User.objects.get(email=email))


def test_second_factor_changes_are_recorded_with_their_kind(customer):
    request = RequestFactory().get("/", **BROWSER)
    request.user = customer
    personas.give_totp(customer)
    totp = Authenticator.objects.get(user=customer)
    mfa_signals.authenticator_added.send(
        sender=Authenticator, request=request, user=customer, authenticator=totp
    )
    mfa_signals.authenticator_removed.send(
        sender=Authenticator, request=request, user=customer, authenticator=totp
    )
    events = SecurityEvent.objects.filter(user=customer).order_by("pk")
    assert [(e.kind, e.detail) for e in events] == [
        (Kind.MFA_ADDED, "TOTP Authenticator"),
        (Kind.MFA_REMOVED, "TOTP Authenticator"),
    ]
    assert totp.data["secret"] not in str(list(events.values()))


def test_ending_other_sessions_is_recorded(customer):
    other = Client()
    other.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    me = Client(**BROWSER)
    me.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    me.post(reverse("usersessions_list"))
    event = SecurityEvent.objects.get(user=customer, kind=Kind.SESSIONS_ENDED)
    assert event.detail == "1 session ended"
    assert other.get(reverse("accounts:dashboard")).status_code == 302


def test_other_apps_add_events_through_record(customer):
    request = RequestFactory().post("/", **BROWSER)
    event = security_events.record(
        user=customer, kind=Kind.DATA_EXPORT_REQUESTED, request=request, detail="x" * 300
    )
    assert event.ip == "198.51.100.23"
    assert len(event.detail) == 200


def test_the_timeline_shows_only_the_persons_own_events(customer_client, customer, other_customer):
    security_events.record(user=customer, kind=Kind.PASSWORD_CHANGED)
    security_events.record(user=other_customer, kind=Kind.EMAIL_CHANGED)
    html = customer_client.get(reverse("privacy:security_timeline")).content.decode()
    assert html.count("<h1") == 1
    assert "Password changed" in html
    assert "Email address changed" not in html


def test_the_timeline_needs_a_signed_in_person(client):
    assert client.get(reverse("privacy:security_timeline"))["Location"].startswith(reverse("account_login"))


def test_the_timeline_refuses_post(customer_client):
    assert customer_client.post(reverse("privacy:security_timeline")).status_code == 405


def test_events_past_the_retention_period_are_purged(customer, settings):
    old = security_events.record(user=customer, kind=Kind.LOGIN)
    recent = security_events.record(user=customer, kind=Kind.LOGIN)
    SecurityEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.SECURITY_EVENT_RETENTION_DAYS, minutes=1)
    )
    call_command("purge_security_events", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [recent.pk]
