import time

import pytest
from django.core import signing
from django.urls import reverse

from contact import spam
from contact.models import Inquiry
from contact.spam import TokenProblem
from outbox.models import OutboundEmail
from tests.outbox import emails_to

from .conftest import valid_form

pytestmark = pytest.mark.django_db

# --- Honeypot -------------------------------------------------------------------------------------


def test_filled_honeypot_is_kept_as_spam_and_sends_nothing(client, send):
    response = send(website="http://cheap-pills.example")
    # The program sees the usual confirmation and learns nothing.
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    inquiry = Inquiry.objects.get()
    assert inquiry.status == Inquiry.Status.SPAM
    assert inquiry.spam_reason == Inquiry.SpamReason.HONEYPOT
    assert inquiry.closed_at is not None  # deleted with the spam after 30 days
    assert not OutboundEmail.objects.exists()


def test_a_whitespace_only_honeypot_counts_as_empty(send):
    send(website="  ")
    assert Inquiry.objects.get().status == Inquiry.Status.NEW


def test_honeypot_is_labelled_for_screen_readers_and_out_of_the_tab_order(client):
    html = client.get(reverse("contact:form")).content.decode()
    assert 'for="id_website"' in html
    assert "Leave this field empty" in html
    assert 'tabindex="-1"' in html and 'autocomplete="off"' in html


# --- Time token -----------------------------------------------------------------------------------


def test_token_checks_the_time_taken(settings):
    settings.CONTACT_MIN_FILL_SECONDS = 3
    token = spam.issue_token(now=1000.0)
    assert spam.check_token(token, now=1001.0) == TokenProblem.TOO_FAST
    assert spam.check_token(token, now=1003.0) is None
    assert spam.check_token(token, now=1000.0 + 24 * 3600) is None
    assert spam.check_token(token, now=1001.0 + 24 * 3600) == TokenProblem.EXPIRED


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        signing.dumps({"shown": 0, "wait": 0}, salt="some.other.form"),
        signing.dumps({"wait": 0}, salt=spam.TOKEN_SALT),
        signing.dumps({"shown": "soon", "wait": 0}, salt=spam.TOKEN_SALT),
        signing.dumps(["shown"], salt=spam.TOKEN_SALT),
    ],
    # Signed tokens carry the time they were made: ids of their own keep collection stable.
    ids=["empty", "garbage", "other-salt", "no-shown", "shown-not-a-number", "not-a-dict"],
)
def test_forged_or_malformed_tokens_are_invalid(token):
    assert spam.check_token(token) == TokenProblem.INVALID


def test_a_program_cannot_shorten_the_wait_by_editing_the_token():
    token = spam.issue_token(now=1000.0)
    _payload, _, signature = token.partition(":")  # keep the signature, swap the payload
    tampered = signing.dumps({"shown": 0, "wait": 0}, salt=spam.TOKEN_SALT).partition(":")[0]
    assert spam.check_token(f"{tampered}:{signature}", now=1000.5) == TokenProblem.INVALID


def test_too_fast_submission_is_shown_again_with_a_message_then_goes_through(client, send):
    response = send(form_token=spam.issue_token())
    assert response.status_code == 200
    assert not Inquiry.objects.exists()
    html = response.content.decode()
    assert "quicker than we expect from a person" in html
    assert 'role="alert"' in html
    # What the person typed is still there, with a fresh token.
    form = response.context["form"]
    assert form["message"].value().startswith("Camera 3 drops")
    fresh = form["form_token"].value()
    assert fresh and spam.check_token(fresh, now=time.time() + spam.RETRY_MIN_SECONDS) is None

    time.sleep(spam.RETRY_MIN_SECONDS)
    response = client.post(reverse("contact:form"), valid_form(form_token=fresh))
    assert response.status_code == 302
    assert Inquiry.objects.get().status == Inquiry.Status.NEW


def test_expired_form_is_shown_again_with_a_message(send):
    response = send(form_token=spam.issue_token(now=time.time() - 25 * 3600))
    assert response.status_code == 200
    assert "open for a long time" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_missing_token_is_shown_again_with_a_fresh_one(send):
    response = send(form_token="")
    assert response.status_code == 200
    assert "could not check this form" in response.content.decode()
    assert response.context["form"]["form_token"].value()


def test_field_errors_and_the_token_problem_are_shown_together(send):
    response = send(form_token="", email="nope")
    form = response.context["form"]
    assert form.errors["email"] and form.non_field_errors()


# --- Rate limits ----------------------------------------------------------------------------------


def test_submissions_beyond_the_rate_get_a_429_page_that_says_when_and_where_else(settings, send):
    settings.CONTACT_RATE_LIMITS = ["2/10m"]
    settings.CONTACT_EMAIL = "help@kalytera.example"
    assert send(name="one").status_code == 302
    assert send(name="two").status_code == 302
    response = send(name="three")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    html = response.content.decode()
    assert "minute" in html
    assert 'href="mailto:help@kalytera.example"' in html
    assert html.count("<h1") == 1
    assert Inquiry.objects.count() == 2


def test_the_daily_rate_applies_as_well(settings, send):
    settings.CONTACT_RATE_LIMITS = ["10/10m", "1/d"]
    assert send().status_code == 302
    response = send()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 600


def test_rate_limits_count_per_client_address(settings, client):
    settings.CONTACT_RATE_LIMITS = ["1/10m"]
    url = reverse("contact:form")
    assert client.post(url, valid_form(), REMOTE_ADDR="198.51.100.1").status_code == 302
    assert client.post(url, valid_form(), REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.post(url, valid_form(), REMOTE_ADDR="198.51.100.2").status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_limit(settings, client):
    settings.CONTACT_RATE_LIMITS = ["1/10m"]
    settings.TRUSTED_PROXY_COUNT = 0
    url = reverse("contact:form")
    assert client.post(url, valid_form(), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 302
    assert client.post(url, valid_form(), HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


def test_rejected_posts_count_too(settings, send):
    settings.CONTACT_RATE_LIMITS = ["2/10m"]
    send(email="bad")
    send(email="bad")
    assert send().status_code == 429


def test_reading_the_form_is_not_limited(settings, client):
    settings.CONTACT_RATE_LIMITS = ["1/10m"]
    for _ in range(3):
        assert client.get(reverse("contact:form")).status_code == 200


def test_acknowledgements_to_one_address_are_limited(settings, send):
    settings.CONTACT_RATE_LIMITS = ["10/10m"]
    settings.CONTACT_ACK_RATE_LIMIT = "2/d"
    for _ in range(3):
        send(email="stranger@elsewhere.example")
    # All three reach support; the stranger's mailbox gets two acknowledgements, not three.
    assert Inquiry.objects.count() == 3
    assert len(emails_to("stranger@elsewhere.example")) == 2
    assert len(emails_to(settings.SUPPORT_EMAILS[0])) == 3


# --- One form, one inquiry ---------------------------------------------------------------------------


def test_sending_the_same_form_twice_stores_one_inquiry(client):
    data = valid_form()
    first = client.post(reverse("contact:form"), data)
    second = client.post(reverse("contact:form"), data)  # a double click, or a reload of the POST
    assert first.status_code == second.status_code == 302
    assert Inquiry.objects.count() == 1
    reference = Inquiry.objects.get().reference
    assert reference in client.get(second["Location"]).content.decode()
    assert len(emails_to("ada@analytical.example")) == 1


def test_a_replayed_token_cannot_store_different_text(client):
    token = valid_form()["form_token"]
    client.post(reverse("contact:form"), valid_form(form_token=token))
    client.post(reverse("contact:form"), valid_form(form_token=token, message="Buy cheap pills"))
    assert list(Inquiry.objects.values_list("message", flat=True)) == [valid_form()["message"]]


def test_a_token_in_use_by_a_submission_being_saved_asks_to_send_again(send):
    token = valid_form()["form_token"]
    assert spam.claim_token(token) is None  # another request is saving this form right now
    response = send(form_token=token)
    assert response.status_code == 200
    assert "still being processed" in response.content.decode()
    assert response.context["form"]["form_token"].value() != token
    assert not Inquiry.objects.exists()


def test_every_shown_form_gets_its_own_token():
    assert spam.issue_token(now=1000.0) != spam.issue_token(now=1000.0)
