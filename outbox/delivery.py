"""Handing queued email to the mail server, from the task and from the periodic sweep.

``deliver`` is safe to call from many workers at once. A worker first claims the
message for ``MAIL_CLAIM_SECONDS`` in a short transaction, then talks to the mail server
with no transaction open (no row lock is held for the length of an SMTP conversation),
then records the result. A worker that dies holding a claim delays the message until
the claim runs out; then another worker claims it again. Delivery is at least once: a
worker that stalls past its claim may send a message another worker sends too, with
the same ``Message-ID``, so that mail systems can drop the copy.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
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

    Idempotent: a message already sent, given up, or claimed by another worker is
    left alone ("skipped").
    """
    email = _claim(email_id)
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
    try:
        message.send()
    except Exception as exc:  # any transport failure: keep the message and retry later
        return _record_failure(email, f"{type(exc).__name__}: {exc}"[:255])
    # Bodies may hold sign-in codes: keep them no longer than needed. Recorded even when
    # the claim ran out meanwhile: the message did go out.
    OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        body_text="",
        body_html="",
        claimed_until=None,
    )
    return OutboundEmail.Status.SENT


@transaction.atomic
def _claim(email_id: int) -> OutboundEmail | None:
    """Claim a pending message nobody holds (or whose holder's claim ran out); counts an attempt."""
    now = timezone.now()
    email = (
        OutboundEmail.objects.select_for_update(skip_locked=True)
        .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .first()
    )
    if email is not None:
        email.claimed_until = now + timedelta(seconds=settings.MAIL_CLAIM_SECONDS)
        email.attempts += 1
        email.save(update_fields=["claimed_until", "attempts"])
    return email


# Mail of these kinds may carry sign-in, verification or reset codes: once delivery gives
# up, the body has no use left and is not kept (a sent message's body is never kept).
SECRET_BEARING = (OutboundEmail.Category.ACCOUNT, OutboundEmail.Category.SECURITY)


def _record_failure(email: OutboundEmail, error: str) -> str:
    """Schedule a retry with backoff, or give up after the last attempt; frees the claim."""
    forget_body = {}
    if email.attempts >= settings.MAIL_MAX_ATTEMPTS:
        status, next_attempt_at = OutboundEmail.Status.FAILED, email.next_attempt_at
        if email.category in SECRET_BEARING:
            forget_body = {"body_text": "", "body_html": ""}
        logger.error("Gave up on email %s after %s attempts", email.pk, email.attempts)
    else:
        status, next_attempt_at = OutboundEmail.Status.PENDING, timezone.now() + retry_delay(email.attempts)
        logger.warning("Email %s not delivered (%s); will retry", email.pk, error)
    # Only while the claim is still ours: a worker that took over after it ran out decides.
    OutboundEmail.objects.filter(pk=email.pk, claimed_until=email.claimed_until).update(
        status=status, last_error=error, next_attempt_at=next_attempt_at, claimed_until=None, **forget_body
    )
    if status == OutboundEmail.Status.PENDING:
        transaction.on_commit(partial(enqueue, email.pk, next_attempt_at), robust=True)
    return status


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
