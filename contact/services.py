"""The contact desk's workflows: receiving an inquiry, and answering it in the staff admin."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from contact import spam
from contact.models import Inquiry, ThreadEntry, new_reference
from kalytera.errors import DomainError
from outbox.models import OutboundEmail
from outbox.services import queue_email

logger = logging.getLogger(__name__)

# Random references collide about once in 10^12; a few fresh draws settle it.
REFERENCE_ATTEMPTS = 5


class ContactError(DomainError):
    """A refused support action, with a stable ``code`` and a sentence for the staff member."""


@transaction.atomic
def submit_inquiry(
    *,
    name: str,
    email: str,
    topic: str,
    message: str,
    company: str = "",
    phone: str = "",
    license_reference: str = "",
    user: User | None = None,
    trapped: bool = False,
) -> Inquiry:
    """Store an inquiry from the contact form and queue its emails.

    Support is notified and the sender gets an acknowledgement that names the reference
    but repeats nothing they wrote, so the form cannot carry text to a stranger. A
    submission caught by the honeypot is kept as spam (support can still find it) and
    sends nothing. Emails are queued in the same transaction: if the mail server is
    down, the inquiry is saved and the emails follow when delivery works again.
    """
    now = timezone.now()
    fields = {
        "name": name,
        "email": email,
        "company": company,
        "phone": phone,
        "topic": topic,
        "license_reference": license_reference,
        "message": message,
        "user": user,
        "created_at": now,
    }
    if trapped:
        fields.update(status=Inquiry.Status.SPAM, spam_reason=Inquiry.SpamReason.HONEYPOT, closed_at=now)
    inquiry = _create_with_unique_reference(fields)
    if trapped:
        logger.info("Contact form: inquiry %s caught by the honeypot, kept as spam", inquiry.reference)
        return inquiry
    queue_email(
        to=list(settings.SUPPORT_EMAILS),
        template="contact_notification",
        context={"inquiry": inquiry, "admin_url": admin_url(inquiry)},
        category=OutboundEmail.Category.SUPPORT,
        reply_to=inquiry.email,
    )
    if spam.may_acknowledge(inquiry.email):
        queue_email(
            to=[inquiry.email],
            template="contact_acknowledgement",
            context={"reference": inquiry.reference, "topic": inquiry.get_topic_display()},
            category=OutboundEmail.Category.SUPPORT,
            reply_to=settings.CONTACT_EMAIL or None,
        )
    return inquiry


def _create_with_unique_reference(fields: dict) -> Inquiry:
    attempts_left = REFERENCE_ATTEMPTS
    while True:
        try:
            with transaction.atomic():  # a savepoint: a collision leaves the outer transaction usable
                return Inquiry.objects.create(reference=new_reference(), **fields)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left:
                raise


def admin_url(inquiry: Inquiry) -> str:
    return settings.SITE_URL + reverse("admin:contact_inquiry_change", args=[inquiry.pk])


def assign(*, inquiries: QuerySet[Inquiry], to: User) -> int:
    """Give the inquiries to a staff member; new ones become open. Returns how many changed."""
    with transaction.atomic():
        changed = inquiries.exclude(assignee=to).update(assignee=to)
        inquiries.filter(status=Inquiry.Status.NEW).update(status=Inquiry.Status.OPEN)
    return changed


def close(*, inquiries: QuerySet[Inquiry], now: datetime | None = None) -> int:
    """Close the inquiries; the retention period runs from now. Returns how many changed."""
    return inquiries.exclude(status=Inquiry.Status.CLOSED).update(
        status=Inquiry.Status.CLOSED, closed_at=now or timezone.now(), spam_reason=""
    )


def mark_spam(*, inquiries: QuerySet[Inquiry], now: datetime | None = None) -> int:
    """Mark as spam (deleted after CONTACT_RETENTION_SPAM_DAYS). Returns how many changed."""
    return inquiries.exclude(status=Inquiry.Status.SPAM).update(
        status=Inquiry.Status.SPAM, closed_at=now or timezone.now(), spam_reason=Inquiry.SpamReason.STAFF
    )


@transaction.atomic
def send_reply(*, inquiry: Inquiry, author: User, body: str) -> ThreadEntry:
    """Email a reply to the sender and record it in the thread.

    An unassigned inquiry goes to the author; a new or open one then waits on the customer.
    Spam is never answered: its sender address is usually someone else's.
    """
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if inquiry.status == Inquiry.Status.SPAM:
        raise ContactError("inquiry_is_spam", "This inquiry is marked as spam; change its status to reply.")
    body = body.strip()
    if not body:
        raise ContactError("empty_reply", "Write the reply before sending it.")
    email = queue_email(
        to=[inquiry.email],
        template="contact_reply",
        context={"inquiry": inquiry, "body": body},
        category=OutboundEmail.Category.SUPPORT,
        reply_to=settings.CONTACT_EMAIL or None,
    )
    entry = ThreadEntry.objects.create(
        inquiry=inquiry, kind=ThreadEntry.Kind.REPLY, author=author, body=body, email=email
    )
    Inquiry.objects.filter(pk=inquiry.pk, assignee=None).update(assignee=author)
    Inquiry.objects.filter(pk=inquiry.pk, status__in=[Inquiry.Status.NEW, Inquiry.Status.OPEN]).update(
        status=Inquiry.Status.WAITING
    )
    return entry


def add_note(*, inquiry: Inquiry, author: User, body: str) -> ThreadEntry:
    """Record an internal note: seen by staff only, never sent to anyone."""
    body = body.strip()
    if not body:
        raise ContactError("empty_note", "Write the note before saving it.")
    return ThreadEntry.objects.create(inquiry=inquiry, kind=ThreadEntry.Kind.NOTE, author=author, body=body)


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete closed inquiries and spam past their retention periods (idempotent).

    Returns how many inquiries of each status were deleted.
    """
    now = now or timezone.now()
    expired = Inquiry.objects.past_retention(now=now)
    counts = {}
    for status in Inquiry.FINISHED:
        _, per_model = expired.filter(status=status).delete()
        counts[status.value] = per_model.get(Inquiry._meta.label, 0)
    return counts
