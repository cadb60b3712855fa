"""System checks for the privacy center. Ids are stable."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from accounts.privacy.deletion import PROMISED_DAYS, deletion_deadline_days
from kalytera.checks import weak_secret


@register()
def check_privacy_pepper(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG or len(settings.PRIVACY_PEPPER) >= 32:
        return []
    return [
        Error(
            "PRIVACY_PEPPER is missing or shorter than 32 characters.",
            hint=(
                "Deletion records are keyed with it: set a long random value once "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))') and never change it."
            ),
            id="accounts.E001",
        )
    ]


@register()
def check_deletion_deadline(app_configs, **kwargs) -> list[Error]:
    days = deletion_deadline_days()
    if days <= PROMISED_DAYS:
        return []
    return [
        Error(
            f"Deleted accounts could take {days:.1f} days to be purged; the Privacy Policy promises "
            f"{PROMISED_DAYS}.",
            hint="Lower PRIVACY_DELETION_GRACE_DAYS or PRIVACY_RECEIPT_MAX_DAYS, or run "
            "purge_deleted_accounts more often.",
            id="accounts.E002",
        )
    ]


@register(Tags.security)
def check_two_factor_secret(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    return weak_secret(
        "TWO_FACTOR_ENCRYPTION_SECRET", "accounts.E003", "seals TOTP secrets and recovery codes"
    )
