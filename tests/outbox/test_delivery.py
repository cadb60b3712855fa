import socket
import threading
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.db import connection, transaction
from django.utils import timezone

from outbox import delivery, services
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def _queue(**kwargs) -> OutboundEmail:
    email = services.queue_email(
        to=["ada@example.com"],
        template="test_message",
        context={"name": "Ada"},
        category=OutboundEmail.Category.ACCOUNT,
        **kwargs,
    )
    assert email is not None  # account mail is never declined
    return email


def test_queued_email_is_rendered_from_its_template_triplet():
    email = _queue()
    assert email.status == OutboundEmail.Status.PENDING
    assert email.subject == "Hello Ada"
    assert "Hello Ada," in email.body_text
    assert "<p>Hello Ada,</p>" in email.body_html


def test_nothing_is_sent_until_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _queue()
        assert django_mail.outbox == []
    assert len(callbacks) == 1


def test_commit_delivers_through_the_task(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.body_text == ""  # codes and links are not kept after delivery
    [message] = django_mail.outbox
    assert message.subject == "Hello Ada"
    assert message.extra_headers["Message-ID"] == email.message_id


def test_delivery_is_idempotent():
    email = _queue()
    assert delivery.deliver(email.pk) == OutboundEmail.Status.SENT
    assert delivery.deliver(email.pk) == "skipped"
    assert len(django_mail.outbox) == 1


def test_rolled_back_change_queues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the business change failed")
    assert not OutboundEmail.objects.exists()


def test_mail_server_down_keeps_the_email_and_backs_off(settings, smtp_sink):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    email = _queue()
    assert delivery.deliver(email.pk) == OutboundEmail.Status.PENDING
    email.refresh_from_db()
    assert email.attempts == 1 and "ConnectionRefusedError" in email.last_error
    first_delay = email.next_attempt_at - email.created_at
    assert delivery.deliver_due() == {}  # not due yet

    # The server comes back; the sweep delivers once the retry time has come.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 5},
        }
    }
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=email.created_at)
    assert delivery.deliver_due() == {OutboundEmail.Status.SENT: 1}
    assert [m["Subject"] for m in smtp_sink.to("ada@example.com")] == ["Hello Ada"]
    assert first_delay.total_seconds() >= settings.MAIL_RETRY_BASE_SECONDS - 1


def test_retry_delay_grows_exponentially_and_is_capped(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 60
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert delivery.retry_delay(30).total_seconds() == 6 * 3600


def _one_attempt_to_a_closed_port(settings) -> None:
    settings.MAIL_MAX_ATTEMPTS = 1
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }


def test_gives_up_after_the_last_attempt(settings):
    _one_attempt_to_a_closed_port(settings)
    email = _queue()
    assert delivery.deliver(email.pk) == OutboundEmail.Status.FAILED
    # Account mail may hold a sign-in code: a message nobody will send keeps no body.
    email.refresh_from_db()
    assert (email.body_text, email.body_html) == ("", "")


def test_giving_up_keeps_the_body_of_mail_without_codes(settings):
    _one_attempt_to_a_closed_port(settings)
    email = services.queue_email(
        to=["ada@example.com"],
        template="test_message",
        context={"name": "Ada"},
        category=OutboundEmail.Category.SUPPORT,
    )
    assert delivery.deliver(email.pk) == OutboundEmail.Status.FAILED
    email.refresh_from_db()
    assert "Ada" in email.body_text


def test_subject_cannot_carry_extra_headers():
    email = services.queue_email(
        to=["ada@example.com"],
        template="test_message",
        context={"name": "Ada\nBcc: victim@example.com"},
        category=OutboundEmail.Category.ACCOUNT,
    )
    assert "\n" not in email.subject


class StallingSmtpServer:
    """Accepts a connection and says nothing until released: a mail server that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        self.connected.set()
        self.release.wait(30)
        conn.close()
        self.listener.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_mail_server_is_talked_to(settings):
    server = StallingSmtpServer()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 10},
        }
    }
    # Stored without queue_email, whose task would deliver it in this thread at once.
    email = OutboundEmail.objects.create(
        category=OutboundEmail.Category.ACCOUNT,
        recipients=["ada@example.com"],
        from_email="kalytera@example.com",
        subject="Hello Ada",
        body_text="Hello Ada,",
    )
    outcome = {}

    def worker() -> None:
        try:
            outcome["status"] = delivery.deliver(email.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert server.connected.wait(10), "the worker never reached the mail server"
        with transaction.atomic():  # another connection: fails at once if the row were locked
            row = OutboundEmail.objects.select_for_update(nowait=True).get(pk=email.pk)
        assert row.claimed_until is not None and row.attempts == 1
        assert delivery.deliver(email.pk) == "skipped"  # claimed: a second worker leaves it
    finally:
        server.release.set()
        thread.join(20)
    assert outcome["status"] == OutboundEmail.Status.PENDING  # the hung server dropped the line
    email.refresh_from_db()
    assert email.claimed_until is None and email.attempts == 1


def test_a_claim_that_ran_out_is_claimed_again(settings):
    email = _queue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=1, claimed_until=timezone.now() + timedelta(seconds=settings.MAIL_CLAIM_SECONDS)
    )
    assert delivery.deliver(email.pk) == "skipped"  # another worker holds it
    OutboundEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver(email.pk) == OutboundEmail.Status.SENT
    email.refresh_from_db()
    assert email.attempts == 2 and email.claimed_until is None
    [message] = django_mail.outbox
    assert message.extra_headers["Message-ID"] == email.message_id


def declines_everyone(addresses: list[str], *, user=None) -> set[str]:
    return {address.lower() for address in addresses}


def test_who_declined_optional_mail_is_asked_of_the_function_the_setting_names(settings):
    settings.OUTBOX_OPTIONAL_MAIL_DECLINED = f"{__name__}.declines_everyone"
    optional = {"to": ["Ada@example.com"], "template": "test_message", "context": {"name": "Ada"}}
    assert services.queue_email(**optional, category=OutboundEmail.Category.INFORMATIONAL) is None
    assert services.queue_email(**optional, category=OutboundEmail.Category.ACCOUNT) is not None
