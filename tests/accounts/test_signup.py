from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse

from accounts.models import User
from outbox.models import OutboundEmail
from tests.outbox import code_in, latest_to

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "New.Person@Example.com",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
    "age_confirmed": "on",
    "policies_accepted": "on",
}


def test_signup_verifies_the_address_by_code_and_logs_in(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.age_confirmed_at is not None
    assert not EmailAddress.objects.get(user=user).verified

    code = code_in(latest_to("new.person@example.com").body_text)
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_signup_requires_confirming_age_16_or_older(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "age_confirmed": ""})
    assert response.status_code == 200
    assert b"16 or older" in response.content
    assert not User.objects.exists()


def test_filled_honeypot_creates_nothing_but_looks_like_success(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not User.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_signup_with_a_taken_address_does_not_reveal_it(client, customer):
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": customer.email.upper()})
    # Same answer as for a new address; the owner gets an "account exists" email instead.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    notice = latest_to(customer.email)
    assert "already" in notice.body_text.lower()


def test_signup_hashes_a_password_for_a_taken_address_as_for_a_new_one(customer):
    """The hash is most of a signup's time: both answers pay it (bench/signup_timing.py measures)."""
    hasher = type(get_hasher())
    hashes = {}
    for email in (customer.email, "someone.new@example.com"):
        with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode:
            response = Client().post(reverse("account_signup"), {**SIGNUP, "email": email})
        assert response["Location"] == reverse("account_email_verification_sent")
        hashes[email] = encode.call_count
    assert hashes[customer.email] == hashes["someone.new@example.com"] == 1


def test_honeypot_is_hidden_by_a_class_not_an_inline_style(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'class="hp-field"' in html
    assert "style=" not in html


def test_account_emails_speak_for_the_platform(client, settings):
    client.post(reverse("account_signup"), SIGNUP)
    email = latest_to("new.person@example.com")
    assert email.subject.startswith("[Kalytera] ")
    assert email.body_text.startswith("Hello from Kalytera,")
    assert settings.SITE_URL in email.body_text
