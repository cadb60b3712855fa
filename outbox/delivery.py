"""Handing queued email to the mail server, from the task and from the periodic sweep.

``deliver`` is safe to call from many workers at once: a row lock makes sure one
message is handed to the mail server by one worker at a time.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from outbox.models import OutboundEmail

logger = logging.getLogger(__name__)


@task()
def deliver_email(email_id: int) -> str:
    return deliver(email_id)


def enqueue(email_id: int, run_after=None) -> None:
    """Ask a worker to deliver ``email_id`` (at ``run_after`` where the backend can defer)."""
    if run_after is not None and deliver_email.get_backend().supports_defer:
        deliver_email.using(run_after=run_after).enqueue(email_id)
    elif run_after is None:
        deliver_email.enqueue(email_id)
    # Backends without deferral leave retries to the periodic sweep.


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2x base, 4x base ... capped at six hours."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 6 * 3600))


def deliver(email_id: int) -> str:
    """Hand one queued email to the mail server. Returns the resulting status.

    Idempotent: a message already sent, given up, or being sent by another worker
    is left alone.
    """
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return "skipped"
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=email.from_email,
            to=email.recipients,
            headers={"Message-ID": email.message_id, **email.headers},
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:  # any transport failure: keep the message and retry later
            email.last_error = f"{type(exc).__name__}: {exc}"[:255]
            if email.attempts >= settings.MAIL_MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                logger.error("Gave up on email %s after %s attempts", email.pk, email.attempts)
            else:
                email.next_attempt_at = timezone.now() + retry_delay(email.attempts)
                logger.warning("Email %s not delivered (%s); will retry", email.pk, email.last_error)
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            if email.status == OutboundEmail.Status.PENDING:
                transaction.on_commit(partial(enqueue, email.pk, email.next_attempt_at), robust=True)
            return email.status
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        # Bodies may hold sign-in codes: keep them no longer than needed.
        email.body_text = ""
        email.body_html = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error", "body_text", "body_html"])
        return email.status


def deliver_due(*, limit: int = 500) -> dict[str, int]:
    """Deliver every pending email whose time has come (the periodic safety net)."""
    due = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for email_id in due:
        status = deliver(email_id)
        counts[status] = counts.get(status, 0) + 1
    return counts
