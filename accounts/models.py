from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.phone import display_phone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Addresses are compared case-insensitively everywhere (allauth lower-cases too).
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. The email address is the login identifier."""

    email = models.EmailField("email address", max_length=254, unique=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="Stored in international E.164 form.")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May open the staff admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    age_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person confirmed being 16 or older."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


# --- Privacy center and security timeline ---------------------------------------------------


class PrivacyChoices(models.Model):
    """What a person asked of us about the processing of their data (GDPR Art. 18 and 21).

    A missing row means no restriction and no objection.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="privacy_choices")
    restricted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Processing restricted: only the person may change the account; no optional email.",
    )
    objected_at = models.DateTimeField(
        null=True, blank=True, help_text="Objected to optional (informational) email."
    )

    class Meta:
        verbose_name = "privacy choices"
        verbose_name_plural = "privacy choices"

    def __str__(self) -> str:
        return f"Privacy choices of user {self.user_id}"


class SecurityEvent(models.Model):
    """One entry of a person's security timeline, kept for SECURITY_EVENT_RETENTION_DAYS."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGIN_CODE_SENT = "login_code_sent", "Sign-in code sent"
        LOGIN_CODE_REJECTED = "login_code_rejected", "Wrong sign-in code entered"
        SECOND_FACTOR_FAILED = "mfa_failed", "Wrong two-factor code entered"
        MFA_ADDED = "mfa_added", "Two-factor method added"
        MFA_REMOVED = "mfa_removed", "Two-factor method removed"
        RECOVERY_CODES_RESET = "recovery_codes_reset", "New recovery codes generated"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_SET = "password_set", "Password set"
        PASSWORD_RESET = "password_reset", "Password reset"
        EMAIL_CHANGED = "email_changed", "Email address changed"
        EMAIL_ADDED = "email_added", "Email address added"
        EMAIL_REMOVED = "email_removed", "Email address removed"
        SESSIONS_ENDED = "sessions_ended", "Signed out elsewhere"
        LOGOUT = "logout", "Signed out"
        DATA_EXPORT_REQUESTED = "export_requested", "Data export requested"
        DATA_EXPORT_DOWNLOADED = "export_downloaded", "Data export downloaded"
        DELETION_REQUESTED = "deletion_requested", "Account deletion requested"
        DELETION_CANCELLED = "deletion_cancelled", "Account deletion cancelled"
        PRIVACY_CHOICES_CHANGED = "privacy_choices", "Privacy choices changed"
        INCIDENT_NOTICE = "incident_notice", "Security incident notice sent to you"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # As in allauth's security notices: the address and browser the change came from.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="security_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class DataExport(models.Model):
    """A copy of a person's data as JSON, offered for download for a limited time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    requested_at = models.DateTimeField(default=timezone.now)
    # One export a day: the unique constraint below makes the limit hold under races.
    requested_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    content = models.TextField(blank=True)
    size_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "requested_on"], name="data_export_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Data export of user {self.user_id} on {self.requested_on}"

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.READY and self.expires_at > timezone.now()


class DeletionRequest(models.Model):
    """A pending account deletion: the account is disabled and purged after the grace period."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="deletion_request")
    requested_at = models.DateTimeField(default=timezone.now)
    purge_after = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Deletion of user {self.user_id} after {self.purge_after:%Y-%m-%d}"


class DeletionRecord(models.Model):
    """Proof that an account was purged, holding no personal data.

    The digests are keyed hashes (HMAC with PRIVACY_PEPPER) of the account's id and
    address: nobody can read them back, but after a backup is restored
    ``manage.py reapply_deletions`` finds the same account again and purges it anew.
    """

    subject_digest = models.CharField(max_length=64, unique=True)
    email_digest = models.CharField(max_length=64, db_index=True)
    requested_on = models.DateField()
    purged_on = models.DateField()
    # The receipt sent to the deleted address; removed from the outbox once delivered.
    receipt = models.ForeignKey(
        "outbox.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Deletion purged on {self.purged_on}"
