"""The one way the platform sends email: render a template triplet, queue, deliver.

``queue_email`` stores the message in the outbox inside the caller's transaction and
asks a task to deliver it once the transaction commits. Nothing is sent inside a
request. ``deliver`` is safe to call from many workers at once: a row lock makes sure
one message is handed to the mail server by one worker at a time.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kalytera.models import OutboundEmail

logger = logging.getLogger(__name__)


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render ``templates/emails/<template>/{subject.txt,body.txt,body.html}``."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    # One line: no header injection through a subject.
    subject = " ".join(render_to_string(f"emails/{template}/subject.txt", context).split())
    text = render_to_string(f"emails/{template}/body.txt", context)
    html = render_to_string(f"emails/{template}/body.html", context)
    return subject, text, html


def queue_email(
    *,
    to: list[str],
    template: str,
    context: dict,
    category: str,
    reply_to: str | None = None,
    user=None,
) -> OutboundEmail | None:
    """Queue an email rendered from a template triplet; delivered after commit.

    Optional (informational) email is not sent to people who objected to it or
    restricted processing: the rule lives here so that no sender can forget it.
    Pass ``user`` when the message is about an account; addresses are checked too.
    Returns None when nobody is left to send to.
    """
    if category == OutboundEmail.Category.INFORMATIONAL:
        to = _without_objections(to, user)
        if not to:
            return None
    subject, text, html = render_email(template, context)
    headers = {"Reply-To": reply_to} if reply_to else {}
    return _store(to=to, subject=subject, text=text, html=html, category=category, headers=headers)


def _without_objections(to: list[str], user) -> list[str]:
    from accounts import privacy

    if user is not None and privacy.declines_optional_mail(user):
        return []
    declined = privacy.addresses_declining_optional_mail(to)
    return [address for address in to if address.strip().lower() not in declined]


def queue_message(message: EmailMessage, *, category: str) -> OutboundEmail:
    """Queue a message another library rendered (allauth's account emails)."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = content
    return _store(
        to=list(message.to),
        subject=" ".join(str(message.subject).split()),
        text=message.body,
        html=html,
        category=category,
        headers={},
    )


def _store(*, to, subject, text, html, category, headers) -> OutboundEmail:
    email = OutboundEmail.objects.create(
        category=category,
        recipients=to,
        from_email=settings.DEFAULT_FROM_EMAIL,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        headers=headers,
    )
    from kalytera.tasks import deliver_email

    transaction.on_commit(partial(_enqueue, deliver_email, email.pk), robust=True)
    return email


def _enqueue(task, email_id: int, run_after=None) -> None:
    if run_after is not None and task.get_backend().supports_defer:
        task.using(run_after=run_after).enqueue(email_id)
    elif run_after is None:
        task.enqueue(email_id)
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
                from kalytera.tasks import deliver_email

                transaction.on_commit(
                    partial(_enqueue, deliver_email, email.pk, email.next_attempt_at), robust=True
                )
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


def purge_sent(*, older_than: timedelta) -> int:
    """Delete sent and abandoned emails past their retention."""
    cutoff = timezone.now() - older_than
    deleted, _ = OutboundEmail.objects.filter(
        status__in=[OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED], created_at__lt=cutoff
    ).delete()
    return deleted
