"""Policies, their versions, and the records of who accepted and who was told of a change.

A version is a draft until legal staff publish or schedule it. From then on its text,
number and dates are frozen: the model, its queryset and a database trigger (migration
0003) refuse to change them, so the archive is a faithful record. Corrections are new
versions.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kalytera.text import CharacterValidator

# The columns that make up what a published version says. Only drafts may change them.
FROZEN_FIELDS = ("policy", "number", "title", "body", "summary", "material", "effective_at", "published_at")
FROZEN_FIELDS_COLUMNS = tuple("policy_id" if name == "policy" else name for name in FROZEN_FIELDS)


class ImmutableVersionError(Exception):
    """A published or scheduled version was about to be changed or deleted."""

    code = "legal.version_frozen"


class Policy(models.Model):
    """A document with a stable public URL; its text lives in versions."""

    class Slug(models.TextChoices):
        PRIVACY = "privacy", "Privacy Policy"
        TERMS = "terms", "Terms of Service"
        VULNERABILITY_DISCLOSURE = "vulnerability-disclosure", "Vulnerability Disclosure Policy"

    slug = models.SlugField(max_length=40, unique=True, choices=Slug.choices)
    name = models.CharField(max_length=100)
    requires_acceptance = models.BooleanField(
        default=False,
        help_text="A contract: material changes must be accepted before license features can be used. "
        "Other policies inform; material changes are announced.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("legal:policy", args=[self.slug])

    def version_in_force(self, at: datetime | None = None) -> "PolicyVersion | None":
        return self.versions.in_effect(at).order_by("-number").first()

    def upcoming_versions(self, at: datetime | None = None) -> "PolicyVersionQuerySet":
        return self.versions.upcoming(at).order_by("number")


class PolicyVersionQuerySet(models.QuerySet):
    def released(self) -> "PolicyVersionQuerySet":
        """Published or scheduled: frozen, and public (scheduled ones are announced ahead)."""
        return self.exclude(status=PolicyVersion.Status.DRAFT)

    def in_effect(self, at: datetime | None = None) -> "PolicyVersionQuerySet":
        """Released versions whose effective date has passed; the newest of them is in force."""
        return self.released().filter(effective_at__lte=at or timezone.now())

    def upcoming(self, at: datetime | None = None) -> "PolicyVersionQuerySet":
        return self.released().filter(effective_at__gt=at or timezone.now())

    def update(self, **kwargs) -> int:
        frozen = set(kwargs) & set(FROZEN_FIELDS)
        if frozen and self.released().exists():
            raise ImmutableVersionError(
                f"Published versions cannot change ({', '.join(sorted(frozen))}); publish a new version."
            )
        return super().update(**kwargs)

    def withdraw(self, at: datetime | None = None) -> int:
        """Scheduled versions whose date has not come go back to being drafts.

        The one change a released version allows: an announced change can be called off
        before it takes effect. Its number and dates are cleared; its text stays.
        """
        pending = self.filter(status=PolicyVersion.Status.SCHEDULED, effective_at__gt=at or timezone.now())
        return models.QuerySet.update(
            pending,
            status=PolicyVersion.Status.DRAFT,
            number=None,
            effective_at=None,
            published_at=None,
            published_by=None,
        )

    def delete(self):
        if self.released().exists():
            raise ImmutableVersionError("Published versions cannot be deleted.")
        return super().delete()


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Given when the version is published."
    )
    title = models.CharField(max_length=200, validators=[CharacterValidator()])
    body = models.TextField(
        help_text="Markdown. Raw HTML is shown as text; links may use https or mailto.",
        validators=[CharacterValidator(multiline=True)],
    )
    summary = models.TextField(
        "summary of changes",
        help_text="What changed, in plain words. Shown on the page and in notices.",
        validators=[CharacterValidator(multiline=True)],
    )
    material = models.BooleanField(
        default=False,
        help_text="A material change is announced by email and on the site; for the Terms of Service, "
        "customers must accept it. Editorial changes (wording, typos) are only listed in the archive.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    effective_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    notices_completed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When every notice of this change was queued."
    )

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["policy", "-number", "-created_at"]
        permissions = [("publish_policyversion", "Can publish or schedule policy versions")]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="legal_version_number_unique"),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(number__isnull=False, effective_at__isnull=False, published_at__isnull=False),
                name="legal_released_version_complete",
            ),
        ]

    def __str__(self) -> str:
        label = f"version {self.number}" if self.number else "draft"
        return f"{self.policy.name}, {label}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            self._refuse_frozen_changes(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("legal:version", args=[self.policy.slug, self.number])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def is_in_effect(self, at: datetime | None = None) -> bool:
        return (
            not self.is_draft
            and self.effective_at is not None
            and self.effective_at <= (at or timezone.now())
        )

    def _refuse_frozen_changes(self, update_fields) -> None:
        fields = set(update_fields) if update_fields is not None else set(FROZEN_FIELDS)
        stored = type(self).objects.filter(pk=self.pk).values("status", *FROZEN_FIELDS_COLUMNS).first()
        if stored is None or stored["status"] == self.Status.DRAFT:
            return  # the release itself, or a new row
        changed = [
            name
            for name, column in zip(FROZEN_FIELDS, FROZEN_FIELDS_COLUMNS, strict=True)
            if name in fields and stored[column] != getattr(self, column)
        ]
        if self.is_draft and (update_fields is None or "status" in fields):
            changed.append("status")  # back to a draft: only withdraw() may do that, before the date
        if changed:
            raise ImmutableVersionError(
                f"Version {stored['number']} is published; {', '.join(changed)} cannot change. "
                "Publish a new version instead."
            )

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise ImmutableVersionError("Published versions cannot be deleted.")
        return super().delete(*args, **kwargs)


class Acceptance(models.Model):
    """A person accepted (Terms) or acknowledged (other policies) one version."""

    class Source(models.TextChoices):
        SIGNUP = "signup", "At sign-up"
        PROMPT = "prompt", "When asked after a change"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    source = models.CharField(max_length=10, choices=Source.choices)
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="legal_acceptance_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.version}"


class ChangeNotice(models.Model):
    """Proof that a person was told of a material change: the queued email and the banner.

    The unique constraint makes "one notice per person per version" hold even when two
    schedulers run the job at the same time.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="notices")
    email_address = models.EmailField(max_length=254, help_text="Where the notice was sent.")
    email = models.ForeignKey(
        "outbox.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="legal_notice_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.email_address} · {self.version}"
