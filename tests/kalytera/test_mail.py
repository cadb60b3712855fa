import pytest
from django.core import mail as django_mail
from django.db import transaction

from kalytera import mail
from kalytera.models import OutboundEmail

pytestmark = pytest.mark.django_db


def _queue(**kwargs) -> OutboundEmail | None:
    return mail.queue_email(
        to=["ada@example.com"],
        template="test_message",
        context={"name": "Ada"},
        category=OutboundEmail.Category.ACCOUNT,
        **kwargs,
    )


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
    assert mail.deliver(email.pk) == OutboundEmail.Status.SENT
    assert mail.deliver(email.pk) == "skipped"
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
    assert mail.deliver(email.pk) == OutboundEmail.Status.PENDING
    email.refresh_from_db()
    assert email.attempts == 1 and "ConnectionRefusedError" in email.last_error
    first_delay = email.next_attempt_at - email.created_at
    assert mail.deliver_due() == {}  # not due yet

    # The server comes back; the sweep delivers once the retry time has come.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 5},
        }
    }
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=email.created_at)
    assert mail.deliver_due() == {OutboundEmail.Status.SENT: 1}
    assert [m["Subject"] for m in smtp_sink.to("ada@example.com")] == ["Hello Ada"]
    assert first_delay.total_seconds() >= settings.MAIL_RETRY_BASE_SECONDS - 1


def test_retry_delay_grows_exponentially_and_is_capped(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 60
    assert [mail.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert mail.retry_delay(30).total_seconds() == 6 * 3600


def test_gives_up_after_the_last_attempt(settings):
    settings.MAIL_MAX_ATTEMPTS = 1
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    email = _queue()
    assert mail.deliver(email.pk) == OutboundEmail.Status.FAILED


def test_subject_cannot_carry_extra_headers():
    email = mail.queue_email(
        to=["ada@example.com"],
        template="test_message",
        context={"name": "Ada\nBcc: victim@example.com"},
        category=OutboundEmail.Category.ACCOUNT,
    )
    assert "\n" not in email.subject
