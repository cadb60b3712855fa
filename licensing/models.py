"""Licensing records: products, plans, licenses, the machines bound to them and their history.

Nothing here holds a raw license key or a raw hardware identifier: keys are stored as a
keyed hash (for lookup), a short display prefix and an encrypted copy; fingerprints and
components as keyed hashes (see ``licensing.crypto``).
"""

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from kalytera_client import identity
from legal.markdown import render_markdown
from licensing import crypto
from licensing.versions import InvalidVersion, parse
from organizations.models import Organization


def validate_version(text: str) -> None:
    try:
        parse(text)
    except InvalidVersion as exc:
        raise ValidationError(str(exc)) from None


class Product(models.Model):
    """A sellable product line, e.g. "Kalytera VMS"."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Release(models.Model):
    """A version of a product: its notes, its state and (see ``ReleaseArtifact``) its installers.

    Perpetual licenses cover releases up to their upgrade-plan end. Customers see only
    published and withdrawn releases; a draft is prepared by staff and seen by nobody else.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(
        max_length=32, validators=[validate_version], help_text="For example 6.2.1 or 6.2.1-hotfix2."
    )
    released_on = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    notes = models.TextField(blank=True, help_text="Markdown: what changed, for customers.")
    withdrawn_reason = models.TextField(
        blank=True,
        help_text="Shown to customers when the release is withdrawn: why, and what to install instead.",
    )

    class Meta:
        ordering = ["product", "-released_on"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_unique_version"),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | ~Q(withdrawn_reason=""),
                name="release_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("licensing:release", kwargs={"product": self.product.slug, "version": self.version})

    @property
    def notes_html(self) -> SafeString:
        """The notes as sanitized HTML (the policies' Markdown pipeline)."""
        return render_markdown(self.notes)


def release_storage() -> Storage:
    """The storage of installer files: the ``releases`` alias of ``STORAGES``."""
    return storages["releases"]


class ReleaseArtifact(models.Model):
    """One installer file of a release for one platform, with its size, digest and signature.

    ``signature`` is a signed document (``docs/release-artifact.md``) over the product,
    version, platform, file name, size and SHA-256: a VMS checks an update with the keys
    it already trusts for its certificates.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="artifacts")
    platform = models.SlugField(max_length=40, help_text="For example windows-x64 or linux-x64-deb.")
    file = models.FileField(storage=release_storage, max_length=300, editable=False)
    filename = models.CharField(max_length=200, editable=False)
    size = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    signature = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["release", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["release", "platform"], name="artifact_one_per_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.release} for {self.platform}"


class Plan(models.Model):
    """The template of a license: what is sold and the rules that apply to it."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        PERPETUAL = "perpetual", "Perpetual"
        TRIAL = "trial", "Trial"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plans")
    code = models.SlugField(
        max_length=50, unique=True, help_text="Stable name written into certificates, e.g. pro-1y."
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Runtime of a subscription or trial; empty for perpetual plans."
    )
    channels = models.PositiveIntegerField(help_text="Camera channels licensed.")
    max_machines = models.PositiveIntegerField(default=1, help_text="VMS servers that may be active at once.")
    features = models.JSONField(default=list, blank=True, help_text='e.g. ["analytics", "lpr"]')
    upgrade_plan_days = models.PositiveIntegerField(
        default=365, help_text="Length of the upgrade plan (new releases covered) from the start."
    )
    offline_validity_days = models.PositiveIntegerField(
        default=30, help_text="How long a certificate stays valid without a check-in."
    )
    grace_days = models.PositiveIntegerField(
        default=30, help_text="Days a lapsed subscription keeps working."
    )
    moves_per_year = models.PositiveIntegerField(
        default=3, help_text="Self-service deactivations (moves) in any 365 days."
    )
    hardware_changes_per_year = models.PositiveIntegerField(
        default=3, help_text="Automatic rebinds after a hardware change in any 365 days."
    )
    is_active = models.BooleanField(default=True, help_text="Offered for new licenses.")

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="perpetual") | Q(duration_days__gte=1),
                name="plan_duration_for_time_limited_kinds",
            ),
            models.CheckConstraint(condition=Q(max_machines__gte=1), name="plan_at_least_one_machine"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def term(self) -> timedelta:
        """The runtime of a subscription or trial; a database constraint gives each one."""
        if self.duration_days is None:
            raise ValueError(f"The plan {self.code} has no runtime.")
        return timedelta(days=self.duration_days)

    @property
    def display_name(self) -> str:
        """The name customers see, with the kind unless the name says it already."""
        kind = self.get_kind_display().lower()
        return self.name if kind in self.name.lower() else f"{self.name} ({kind})"

    @property
    def feature_names(self) -> list[str]:
        """The features in words (the codes, such as ``lpr``, are for the certificate)."""
        return [FEATURE_NAMES.get(code, code.replace("_", " ").capitalize()) for code in self.features]


# What customers read for the feature codes of the plans and certificates.
FEATURE_NAMES = {
    "analytics": "Video analytics",
    "lpr": "Licence plate recognition",
    "video_wall": "Video wall",
}


class KeyBatch(models.Model):
    """Unassigned keys issued together for a reseller; their CSV can be downloaded once."""

    reseller = models.CharField(max_length=200)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="batches")
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "key batches"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.size} keys of {self.plan.code} for {self.reseller}"


class License(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="licenses")
    # Who holds the license: a company, or one person's personal organization. Empty until
    # the key is claimed (and again once a personal organization's person is purged).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licenses",
        db_index=False,  # license_org_created_idx starts with it
    )
    batch = models.ForeignKey(
        KeyBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="licenses"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # The product of a trial license (empty otherwise): backs "one trial per organization and
    # product"; a person's own trials go to their personal organization, so one per account.
    trial_of = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    channels_override = models.PositiveIntegerField(null=True, blank=True)
    max_machines_override = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty for perpetual licenses.")
    upgrade_plan_until = models.DateField(null=True, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, db_index=True, editable=False)
    key_sealed = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="license_created_idx"),
            models.Index(fields=["organization", "-created_at"], name="license_org_created_idx"),
            models.Index(fields=["status", "-created_at"], name="license_status_created_idx"),
            models.Index(fields=["expires_at"], name="license_expires_idx"),
            models.Index(fields=["upgrade_plan_until"], name="license_upgrade_plan_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_machines_override__isnull=True) | Q(max_machines_override__gte=1),
                name="license_at_least_one_machine",
            ),
            models.UniqueConstraint(
                fields=["organization", "trial_of"],
                condition=Q(organization__isnull=False, trial_of__isnull=False),
                name="license_one_trial_per_organization",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """What people quote to support (``KLY-7K2M``): the key's first group, never the whole key."""
        return self.key_prefix

    @property
    def channels(self) -> int:
        return self.channels_override if self.channels_override is not None else self.plan.channels

    @property
    def max_machines(self) -> int:
        return (
            self.max_machines_override if self.max_machines_override is not None else self.plan.max_machines
        )

    @property
    def kind(self) -> str:
        return self.plan.kind

    @property
    def grace_ends_at(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return self.expires_at + timedelta(days=self.plan.grace_days)

    def runtime_state(self, now: datetime) -> str:
        """``valid``, ``grace`` or ``expired`` by the dates alone (status is separate)."""
        if self.kind == Plan.Kind.PERPETUAL or self.expires_at is None or now < self.expires_at:
            return "valid"
        return "grace" if now < self.expires_at + timedelta(days=self.plan.grace_days) else "expired"

    def expiring_soon(self, now: datetime) -> bool:
        """In the last part of its term: the last ``LICENSING_EXPIRING_SOON_DAYS``, but never more
        than a quarter of the term, so a 30-day trial is not "expiring soon" from its first day."""
        if self.expires_at is None or self.kind == Plan.Kind.PERPETUAL:
            return False
        window = min(
            timedelta(days=settings.LICENSING_EXPIRING_SOON_DAYS), (self.expires_at - self.starts_at) / 4
        )
        return now <= self.expires_at < now + window

    def covers_release(self, released_on: date) -> bool:
        return self.upgrade_plan_until is None or released_on <= self.upgrade_plan_until


class Activation(models.Model):
    """One VMS server bound to a license."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="activations")
    fingerprint_hash = models.CharField(max_length=64)
    component_hashes = models.JSONField(default=list, blank=True)
    # The VMS's own fingerprint digest, encrypted: certificates must carry it so that the
    # VMS can recognise itself, and the customer page can issue one without the VMS.
    fingerprint_sealed = models.TextField()
    label = models.CharField(max_length=100, blank=True)
    product_version = models.CharField(max_length=32, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    released_at = models.DateTimeField(null=True, blank=True)
    usage_reported_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_active", "-first_seen_at"]
        constraints = [
            # Backs the row lock: one active binding per machine and license, whatever happens.
            models.UniqueConstraint(
                fields=["license", "fingerprint_hash"],
                condition=Q(is_active=True),
                name="activation_unique_active_fingerprint",
            ),
        ]
        indexes = [
            models.Index(fields=["license", "is_active"], name="activation_license_active_idx"),
            models.Index(fields=["-first_seen_at"], name="activation_first_seen_idx"),
        ]

    def __str__(self) -> str:
        return self.label or f"Machine {str(self.public_id)[:8]}"

    @property
    def display_id(self) -> str:
        """The short machine id the VMS shows too (``kalytera_client.identity.short_id``).

        Taken from the VMS's own fingerprint, not from ``fingerprint_hash``, which is keyed
        with the platform's secret and matches nothing the VMS knows.
        """
        return identity.short_id(crypto.unseal("fingerprint", self.fingerprint_sealed))


class TrialUse(models.Model):
    """A machine that has run a trial of a product: one trial per fingerprint and product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="trial_uses")
    fingerprint_hash = models.CharField(max_length=64)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="trial_uses")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "fingerprint_hash"], name="trial_once_per_machine"),
        ]

    def __str__(self) -> str:
        return f"Trial of {self.product} on machine {self.fingerprint_hash[:8]}"


class UsedRequestNonce(models.Model):
    """The nonce of an offline request that was applied: each request works once."""

    nonce = models.CharField(max_length=64, unique=True)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Offline request {self.nonce[:8]}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("License events are append-only.")

    def delete(self):
        raise TypeError("License events are append-only.")

    def depersonalise(self, user) -> int:
        """Forget which staff member or customer acted (account purge): the one allowed change."""
        return models.QuerySet.update(self.filter(actor_user=user), actor_user=None)


class LicenseEvent(models.Model):
    """One entry in the history of a license. Written once, never changed."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued"
        CLAIMED = "claimed", "Claimed"
        ACTIVATED = "activated", "Machine activated"
        VALIDATION_FAILED = "validation_failed", "Check-in refused"
        HARDWARE_CHANGED = "hardware_changed", "Hardware change accepted"
        HARDWARE_CHANGE_REFUSED = "hardware_change_refused", "Hardware change refused"
        DEACTIVATED = "deactivated", "Machine deactivated"
        MOVE_REFUSED = "move_refused", "Deactivation refused"
        RENEWED = "renewed", "Renewed"
        REMINDED = "reminded", "Reminder sent"
        SUSPENDED = "suspended", "Suspended"
        REINSTATED = "reinstated", "Reinstated"
        REVOKED = "revoked", "Revoked"
        INTEGRATOR_GRANTED = "integrator_granted", "Integrator access granted"
        INTEGRATOR_CHANGED = "integrator_changed", "Integrator access changed"
        INTEGRATOR_REVOKED = "integrator_revoked", "Integrator access revoked"
        TRANSFER_OFFERED = "transfer_offered", "Transfer offered"
        TRANSFER_WITHDRAWN = "transfer_withdrawn", "Transfer offer withdrawn"
        TRANSFERRED_OUT = "transferred_out", "Transferred to another organization"
        TRANSFERRED_IN = "transferred_in", "Received by transfer"

    class Actor(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        MACHINE = "machine", "Machine"
        SYSTEM = "system", "System"

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="events")
    activation = models.ForeignKey(
        Activation, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.CharField(max_length=20, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The organization the person acted for (empty for machines, staff and the system).
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["license", "kind", "created_at"], name="event_license_kind_idx"),
            models.Index(fields=["license", "-created_at"], name="event_license_created_idx"),
            models.Index(fields=["-created_at"], name="event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise TypeError("License events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("License events are append-only.")


class UsageDaily(models.Model):
    """Opt-in usage counts, summed per day, product, version and size bucket.

    No link to a license, machine or account: a row says "12 servers of version 6.2 reported
    9 to 16 cameras on this day", never which servers.
    """

    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="usage")
    product_version = models.CharField(max_length=32)
    metric = models.CharField(max_length=32)
    bucket = models.CharField(max_length=16, default="", help_text="Range of the reported count, e.g. 9-16.")
    reports = models.PositiveIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily usage"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "product", "product_version", "metric", "bucket"], name="usage_daily_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product} {self.product_version} {self.metric}"


class CheckInDaily(models.Model):
    """Check-ins (validations) per day, product and version: a counter, never a row per request."""

    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="check_ins")
    product_version = models.CharField(max_length=32)
    # Check-ins spread over a few rows per day and version, so that busy days do not queue
    # every check-in behind one row lock; readers sum the shards.
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily check-ins"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "product", "product_version", "shard"], name="check_in_daily_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product} {self.product_version}: {self.count}"


class LicenseReminder(models.Model):
    """A reminder that was sent. The unique constraint makes each one go out once, whoever runs the job."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["license", "kind", "due_on"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder due {self.due_on}"


class LicenseTransfer(models.Model):
    """An offer of one or more licenses from one organization to another, and what became of it.

    It lives in the licensing app, not in organizations: it moves licenses and writes their
    history, and ``licensing`` already builds on ``organizations`` (a license is held by an
    organization). Placed in organizations, it would make the two apps import each other.

    The offer names the recipient by email (an owner or manager of the receiving organization),
    who opens a single-use link (only its keyed hash is stored) while signed in with that
    verified address, and chooses which of their organizations receives the licenses.

    A license is in at most one pending offer. That rule is checked under the license rows'
    locks (``licensing.services.transfers``), not by a unique index: an offer stops being
    pending when its time runs out, and an index cannot compare with the clock. The rows an
    offer, an acceptance, a withdrawal, a claim and a staff transfer change are the same
    locked license rows, so these never interleave.

    Licensing staff transfers (the admin) are recorded here too, as accepted at once, with
    the reason; they have no recipient and no link.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    from_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="transfers_out"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Emptied when the recipient's account is purged (the offer is withdrawn then).
    recipient_email = models.EmailField(blank=True)
    licenses = models.ManyToManyField(License, related_name="transfers")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    # Who accepted or withdrew it, and when (expired offers: when their time ran out).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    to_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_in"
    )
    by_staff = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="Why licensing staff moved the license.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "accepted", "withdrawn", "expired"]),
                name="transfer_known_state",
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(to_organization__isnull=False),
                name="transfer_accepted_has_receiver",
            ),
        ]
        indexes = [
            models.Index(fields=["from_organization", "-created_at"], name="transfer_from_created_idx"),
            models.Index(fields=["to_organization", "-created_at"], name="transfer_to_created_idx"),
            models.Index(fields=["recipient_email", "state"], name="transfer_recipient_idx"),
            models.Index(fields=["state", "expires_at"], name="transfer_state_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Transfer {str(self.public_id)[:8]} from {self.from_organization}"

    def current_state(self, now: datetime) -> str:
        """The state as people see it: a pending offer past its time is expired, job or not."""
        if self.state == self.State.PENDING and now >= self.expires_at:
            return self.State.EXPIRED
        return self.state

    def is_open(self, now: datetime) -> bool:
        return self.current_state(now) == self.State.PENDING
