from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    """One queued email: stored with the change that caused it, delivered by a task.

    Storing the message in the same transaction as the business data means a mail
    server outage loses nothing; the task and the periodic sweep retry with backoff.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    class Category(models.TextChoices):
        ACCOUNT = "account", "Account and sign-in"
        SECURITY = "security", "Security notice"
        SERVICE = "service", "Service notice (required)"
        SUPPORT = "support", "Support correspondence"
        INFORMATIONAL = "informational", "Informational (optional)"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    recipients = models.JSONField(help_text="List of addresses.")
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    # A worker holds the message until then (outbox/delivery.py); after that anyone may claim it.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "kalytera_outboundemail"  # the table from before the outbox was an app of its own
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbound_email_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_status_display()})"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a receiver can drop a duplicate delivery."""
        return f"<outbox-{self.pk}@kalytera.mail>"
