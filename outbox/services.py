"""The one way the platform sends email: render a template triplet and queue it.

``queue_email`` stores the message in the outbox inside the caller's transaction and
asks a task to deliver it once the transaction commits (``outbox/delivery.py``).
Nothing is sent inside a request.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from outbox.delivery import enqueue
from outbox.models import OutboundEmail


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
    headers: dict[str, str] | None = None,
) -> OutboundEmail | None:
    """Queue an email rendered from a template triplet; delivered after commit.

    Optional (informational) email is not sent to people who objected to it or
    restricted processing: it is dropped here, so that no sender can forget it. Who
    declined is the accounts app's rule, named by ``settings.OUTBOX_OPTIONAL_MAIL_DECLINED``.
    Pass ``user`` when the message is about an account; addresses are checked too.
    ``headers`` adds message headers (``List-Unsubscribe`` of optional mail, RFC 8058).
    Returns None when nobody is left to send to.
    """
    if category == OutboundEmail.Category.INFORMATIONAL:
        to = _without_objections(to, user)
        if not to:
            return None
    subject, text, html = render_email(template, context)
    headers = {**(headers or {}), **({"Reply-To": reply_to} if reply_to else {})}
    return _store(to=to, subject=subject, text=text, html=html, category=category, headers=headers)


def _without_objections(to: list[str], user) -> list[str]:
    declined = import_string(settings.OUTBOX_OPTIONAL_MAIL_DECLINED)(to, user=user)
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
    transaction.on_commit(partial(enqueue, email.pk), robust=True)
    return email


def purge_sent(*, older_than: timedelta) -> int:
    """Delete sent and abandoned emails past their retention."""
    cutoff = timezone.now() - older_than
    deleted, _ = OutboundEmail.objects.filter(
        status__in=[OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED], created_at__lt=cutoff
    ).delete()
    return deleted
