import calendar
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.phone import display_phone

# Crockford's base32: no I, L, O or U, so a reference read out on the phone is unambiguous.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A short, random, typeable reference such as ``7KQM-29XD`` (about 10^12 possibilities).

    Random rather than sequential, so a reference tells nobody how many inquiries we get
    and cannot be guessed from another one.
    """
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def add_one_month(moment: datetime) -> datetime:
    """The same day of the next month, or that month's last day (31 January -> 28/29 February)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class InquiryQuerySet(models.QuerySet):
    def of_person(self, *, user, emails: list[str]) -> "InquiryQuerySet":
        """Inquiries linked to the account or sent from one of the given addresses."""
        match = models.Q(user=user)
        for email in emails:
            match |= models.Q(email__iexact=email)
        return self.filter(match)

    def past_retention(self, *, now: datetime) -> "InquiryQuerySet":
        closed_cutoff = now - timedelta(days=settings.CONTACT_RETENTION_CLOSED_DAYS)
        spam_cutoff = now - timedelta(days=settings.CONTACT_RETENTION_SPAM_DAYS)
        return self.filter(
            models.Q(status=Inquiry.Status.CLOSED, closed_at__lt=closed_cutoff)
            | models.Q(status=Inquiry.Status.SPAM, closed_at__lt=spam_cutoff)
        )


class Inquiry(models.Model):
    """A message sent through the contact form, and the state of its handling by support."""

    class Topic(models.TextChoices):
        SALES = "sales", "Sales"
        LICENSING = "licensing", "Licensing"
        SUPPORT = "support", "Technical support"
        PRIVACY = "privacy", "Privacy request"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on customer"
        CLOSED = "closed", "Closed"
        SPAM = "spam", "Spam"

    # Statuses whose inquiries are finished: the retention clock runs from ``closed_at``.
    FINISHED = (Status.CLOSED, Status.SPAM)

    class SpamReason(models.TextChoices):
        NONE = "", "None"
        HONEYPOT = "honeypot", "Filled the hidden trap field"
        STAFF = "staff", "Marked by support staff"

    reference = models.CharField(max_length=9, unique=True, default=new_reference, editable=False)
    created_at = models.DateTimeField("received", default=timezone.now, db_index=True, editable=False)
    name = models.CharField(max_length=100)
    email = models.EmailField("email address", max_length=254, db_index=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="International E.164 form.")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    license_reference = models.CharField(
        max_length=40, blank=True, help_text="The license the sender asks about, as they gave it."
    )
    message = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inquiries",
        help_text="The account the sender was logged in with, if any.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_inquiries",
        limit_choices_to={"is_staff": True, "is_active": True},
        help_text="The staff member who answers this inquiry.",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was closed or marked as spam."
    )
    spam_reason = models.CharField(max_length=10, choices=SpamReason.choices, blank=True, editable=False)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "inquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "closed_at"], name="inquiry_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_topic_display()})"

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def response_due(self) -> datetime | None:
        """For privacy requests: the legal deadline, one month from receipt (GDPR Art. 12(3))."""
        if self.topic != self.Topic.PRIVACY:
            return None
        return add_one_month(self.created_at)

    def set_status(self, status: str, *, now: datetime) -> list[str]:
        """Move to ``status``, keeping ``closed_at`` right; returns the fields to save."""
        if status == self.status:
            return []
        self.status = status
        self.closed_at = now if status in self.FINISHED else None
        if status != self.Status.SPAM:
            self.spam_reason = self.SpamReason.NONE
        return ["status", "closed_at", "spam_reason"]


class ThreadEntry(models.Model):
    """A reply to the sender (emailed) or an internal note (never sent), in order of writing."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply to the sender"
        NOTE = "note", "Internal note"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="thread")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    email = models.ForeignKey(
        "outbox.OutboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The queued email that carried a reply (removed from the outbox some days after sending).",
    )

    class Meta:
        verbose_name = "thread entry"
        verbose_name_plural = "thread entries"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.inquiry.reference}"
