"""Security advisories with their revisions, and incident notices, with the records of who was told.

An advisory is a stable id (``KSA-2027-001``) whose content lives in revisions. A revision is a
draft until Security staff publish it; from then on it is never edited (the admin opens it
read-only and ``advisories.services`` refuses): a correction is a new revision with a summary
of the change, and the revision history is what the public page and the CSAF document show.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from licensing import versions
from licensing.models import Product

ID_PATTERN = r"^KSA-\d{4}-\d{3,5}$"


class Severity(models.TextChoices):
    """CVSS v3.1 qualitative ratings, in rising order."""

    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class Advisory(models.Model):
    identifier = models.CharField(
        max_length=20, unique=True, help_text="KSA-YEAR-NUMBER, e.g. KSA-2027-001. Never reused."
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="advisories")
    created_at = models.DateTimeField(default=timezone.now)
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    current = models.ForeignKey(
        "AdvisoryRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The newest published revision: what the public sees.",
    )

    class Meta:
        ordering = ["-identifier"]
        verbose_name_plural = "advisories"
        constraints = [
            models.CheckConstraint(
                condition=Q(identifier__regex=ID_PATTERN), name="advisory_identifier_format"
            )
        ]

    def __str__(self) -> str:
        return self.identifier

    def get_absolute_url(self) -> str:
        return reverse("advisories:detail", args=[self.identifier])

    @property
    def year(self) -> int:
        return int(self.identifier.split("-")[1])

    @property
    def csaf_filename(self) -> str:
        # CSAF 2.0 section 5.1: the tracking id in lower case, other characters than a-z0-9+-
        # replaced by "_".
        return f"{self.identifier.lower()}.json"

    @property
    def csaf_path(self) -> str:
        return f"{self.year}/{self.csaf_filename}"


def validate_ranges(value: list) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one affected version range, e.g. 6.2.x or >=6.2.0,<6.2.3.")
    for item in value:
        try:
            versions.parse_range(str(item))
        except versions.InvalidVersion as error:
            raise ValidationError(str(error)) from None


def validate_versions(value: list) -> None:
    if not isinstance(value, list):
        raise ValidationError("Give the fixed versions as a list.")
    for item in value:
        try:
            versions.parse(str(item))
        except versions.InvalidVersion as error:
            raise ValidationError(str(error)) from None


class AdvisoryRevision(models.Model):
    """One revision of an advisory: a draft, or published and frozen."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Set on publishing."
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What the vulnerability is and what an attacker could do.")
    cve_ids = models.JSONField(default=list, blank=True, help_text='e.g. ["CVE-2027-12345"]')
    cvss_vector = models.CharField(
        max_length=200, help_text="CVSS v3.1 vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    )
    base_score = models.DecimalField(max_digits=3, decimal_places=1, editable=False, default=Decimal("0.0"))
    severity = models.CharField(
        max_length=10, choices=Severity.choices, editable=False, default=Severity.NONE
    )
    affected_ranges = models.JSONField(
        validators=[validate_ranges], help_text='Affected versions, e.g. ["6.2.x", ">=6.1.0,<6.1.4"]'
    )
    fixed_versions = models.JSONField(
        default=list, blank=True, validators=[validate_versions], help_text='e.g. ["6.2.2", "6.1.4"]'
    )
    workarounds = models.TextField(blank=True)
    acknowledgements = models.TextField(blank=True, help_text="One acknowledgement per line.")
    change_summary = models.CharField(
        max_length=300,
        blank=True,
        help_text='What this revision changes, e.g. "Initial release" or "6.1.x affected too".',
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    notifies = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether publishing it emails the affected customers (first release, higher severity, "
        "or more versions affected).",
    )
    notices_completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["advisory", "number"]
        permissions = [("publish_advisoryrevision", "Can publish advisory revisions")]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "number"], name="advisory_revision_number_once")
        ]

    def __str__(self) -> str:
        if self.number is None:
            return f"{self.advisory_id and self.advisory.identifier} (draft)"
        return f"{self.advisory.identifier} revision {self.number}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @property
    def ranges(self) -> list[versions.Range]:
        return [versions.parse_range(str(text)) for text in self.affected_ranges]

    def affects(self, version_text: str) -> bool:
        """Whether a machine reporting ``version_text`` is affected (never for an unparseable version)."""
        version = versions.parse_or_none(version_text)
        return version is not None and any(version in r for r in self.ranges)

    def fixed_version_for(self, version_text: str) -> str:
        """The fixed version to update to from ``version_text``: the lowest fixed one above it."""
        current = versions.parse_or_none(version_text)
        fixed = sorted(versions.parse(str(text)) for text in self.fixed_versions)
        above = [v for v in fixed if current is None or v > current]
        chosen = above[0] if above else (fixed[-1] if fixed else None)
        return chosen.text if chosen else ""

    @property
    def cve_list(self) -> str:
        return ", ".join(self.cve_ids)

    @property
    def acknowledgement_lines(self) -> list[str]:
        return [line.strip() for line in self.acknowledgements.splitlines() if line.strip()]


class AdvisoryNotice(models.Model):
    """Proof that a person was emailed about an advisory revision: once per person and revision."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(AdvisoryRevision, on_delete=models.PROTECT, related_name="notices")
    email_address = models.EmailField(max_length=254)
    machines = models.PositiveIntegerField(help_text="How many affected machines the email named.")
    email = models.ForeignKey(
        "outbox.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "revision"], name="advisory_notice_once_per_revision")
        ]

    def __str__(self) -> str:
        return f"{self.email_address} · {self.revision}"


class IncidentNotice(models.Model):
    """A notice of a security incident (breach notification): composed, previewed, sent once.

    The pasted recipient list is kept only while the notice is a draft; sending resolves it
    into ``IncidentDelivery`` rows and clears it. What stays is who sent what, when, and to
    how many people.
    """

    class Audience(models.TextChoices):
        ALL = "all", "Every active account"
        LIST = "list", "The accounts listed below"

    title = models.CharField(max_length=200, help_text="The subject of the email.")
    what_happened = models.TextField()
    what_data = models.TextField(verbose_name="What data is concerned")
    what_to_do = models.TextField(verbose_name="What people should do")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.LIST)
    recipient_list = models.TextField(
        blank=True,
        help_text="For “the accounts listed below”: email addresses of accounts, one per line "
        "(commas work too). "
        "Cleared when the notice is sent.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_incidentnotice", "Can send incident notices")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class IncidentDelivery(models.Model):
    """One person to tell of an incident; ``queued_at`` is set when their email is queued."""

    incident = models.ForeignKey(IncidentNotice, on_delete=models.PROTECT, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_address = models.EmailField(max_length=254, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    email = models.ForeignKey(
        "outbox.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "incident deliveries"
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="incident_delivery_once_per_person")
        ]
        indexes = [
            models.Index(
                fields=["incident"], condition=Q(queued_at__isnull=True), name="incident_delivery_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email_address or self.user_id} · {self.incident}"
