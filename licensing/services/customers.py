"""What customers do with their licenses in their account."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from licensing import keys
from licensing.models import License, LicenseEvent
from licensing.services.common import (
    Actor,
    LicensingError,
    locked_license,
    parse_key,
    record,
    refuse_second_trial,
)


def license_references(user) -> list[tuple[str, str]]:
    """(reference, plan name) of each license in the account, newest first, for forms to offer."""
    if not user.is_authenticated:
        return []
    return list(
        License.objects.filter(owner=user).order_by("-created_at").values_list("key_prefix", "plan__name")
    )


def claim_license(*, user, key: str, now: datetime | None = None) -> License:
    """Register a key in the user's account. Keys of other accounts are refused without naming them."""
    now = now or timezone.now()
    key = parse_key(key)  # a typo is refused before any query
    with transaction.atomic():
        license = locked_license(key)
        if license.owner_id == user.pk:
            raise LicensingError("ALREADY_CLAIMED", "This license is already in your account.")
        if license.owner_id is not None:
            raise LicensingError(
                "LICENSE_TAKEN",
                "This key is registered to another account. If you bought it, "
                "contact support with your order.",
            )
        if license.status == License.Status.REVOKED:
            raise LicensingError("LICENSE_REVOKED", "This license has been revoked and cannot be claimed.")
        refuse_second_trial(user, license.plan)
        license.owner = user
        license.claimed_at = now
        license.save(update_fields=["owner", "claimed_at"])
        record(license, LicenseEvent.Kind.CLAIMED, Actor.customer(user), now=now)
        return license


def reveal_key(*, license: License) -> str:
    """The full key, for its owner after reauthentication (the caller checks both)."""
    return keys.unseal(license.key_sealed)
