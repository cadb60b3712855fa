"""Organizations and the people in them, with one role each."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Organization(models.Model):
    """A company, or one person's own licenses (``personal_for``), holding licenses."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # The person whose own licenses this holds; emptied when their account is purged.
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="personal_organization",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.personal_for_id is not None

    @property
    def as_place(self) -> str:
        """How messages to its members name it: "your account" for a personal organization."""
        return "your account" if self.is_personal else self.name


class Membership(models.Model):
    """One person in one organization, with a role."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        VIEWER = "viewer", "Viewer"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # At account deletion: the member who becomes owner if this (last) owner's account is purged.
    # Emptied when that member leaves; the purge then picks the longest-standing manager, else member.
    successor_on_deletion = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        # No default ordering: the access checks read memberships on every page, and an
        # ordering by email would join the users table each time. Pages order explicitly.
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_once_per_person"),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "manager", "viewer"]), name="membership_known_role"
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.organization}"


class IntegratorGrantQuerySet(models.QuerySet):
    def active(self) -> "IntegratorGrantQuerySet":
        """Accepted and not revoked: the grants that give access now."""
        return self.filter(accepted_at__isnull=False, revoked_at__isnull=True)

    def pending(self, now) -> "IntegratorGrantQuerySet":
        """Invitations still open: not accepted, not revoked, not expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class IntegratorGrant(models.Model):
    """A customer organization lets another organization (its integrator) see or manage its licenses.

    Made as an invitation to an email address (an owner or manager of the integrator); the
    person who accepts chooses which of their organizations becomes the integrator. Access
    starts at acceptance and ends at revocation; ``licensing.access`` reads only active grants.
    """

    class Scope(models.TextChoices):
        VIEW = "view", "View"
        MANAGE = "manage", "Manage"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="grants_given")
    # Chosen by the person who accepts; empty while the invitation is pending.
    integrator = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="grants_held"
    )
    email = models.EmailField(help_text="The address the invitation went to.")
    # SHA-256 of the link's secret; emptied when the link is used, so it works once.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.VIEW)
    all_licenses = models.BooleanField(default=True)
    # The chosen licenses when not ``all_licenses`` (one row per license, unique per grant).
    licenses = models.ManyToManyField("licensing.License", blank=True, related_name="integrator_grants")
    send_reminders = models.BooleanField(
        default=False, help_text="Renewal reminders and license notices go to the integrator too."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="The invitation's link stops working then.")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = IntegratorGrantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=["view", "manage"]), name="grant_known_scope"),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True, integrator__isnull=True)
                | Q(accepted_at__isnull=False, integrator__isnull=False),
                name="grant_integrator_when_accepted",
            ),
            models.CheckConstraint(condition=~Q(integrator=models.F("customer")), name="grant_not_to_itself"),
            # One active grant per customer and integrator: a second acceptance is refused.
            models.UniqueConstraint(
                fields=["customer", "integrator"],
                condition=Q(accepted_at__isnull=False, revoked_at__isnull=True),
                name="grant_once_per_integrator",
            ),
        ]
        indexes = [
            models.Index(
                fields=["integrator", "customer"],
                condition=Q(revoked_at__isnull=True),
                name="grant_integrator_idx",
            ),
            models.Index(fields=["customer", "-created_at"], name="grant_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.integrator or self.email} ({self.get_scope_display().lower()})"

    def state(self, now) -> str:
        """``active``, ``pending``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.accepted_at is not None:
            return "active"
        return "pending" if self.expires_at > now else "expired"


class Invitation(models.Model):
    """An offer to join an organization with a role, sent to one address, used once.

    The link carries a random token; only its SHA-256 digest is stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    token_digest = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_address",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "manager", "viewer"]), name="invitation_known_role"
            ),
        ]
        indexes = [models.Index(fields=["email"], name="invitation_email_idx")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    def expired(self, now) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= now


class ApiToken(models.Model):
    """A read-only key to one organization's Organization API, made by an owner.

    The token is shown once; only its SHA-256 digest is stored (the token has 256 random
    bits, so a plain digest cannot be reversed by guessing). ``prefix`` (its first
    characters) lets the page tell tokens apart.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20)
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "revoked_at"], name="apitoken_org_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.organization}"
