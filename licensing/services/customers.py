"""What customers do with their licenses in their account."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from licensing import keys
from licensing.access import visible_licenses
from licensing.models import License, LicenseEvent
from licensing.services import integrators
from licensing.services.common import (
    Actor,
    LicensingError,
    locked_license,
    parse_key,
    record,
    refuse_second_trial,
)
from organizations.access import Action, require
from organizations.models import Organization
from organizations.services import personal_organization


def license_references(user) -> list[tuple[str, str]]:
    """(reference, plan name) of each license the user can see, newest first, for forms to offer."""
    if not user.is_authenticated:
        return []
    licenses = visible_licenses(user).order_by("-created_at")
    return list(licenses.values_list("key_prefix", "plan__name"))


def claim_license(
    *, user, key: str, organization: Organization | None = None, now: datetime | None = None
) -> License:
    """Register a key in ``organization`` (default: the person's own), where ``user`` may add keys.

    Keys held elsewhere are refused without naming who holds them.
    """
    now = now or timezone.now()
    key = parse_key(key)  # a typo is refused before any query
    organization = organization or personal_organization(user=user)
    with transaction.atomic():
        role = organization.memberships.filter(user=user).values_list("role", flat=True).first()
        require(role, Action.CLAIM, organization)
        license = locked_license(key)
        holder = license.organization
        if holder is not None and (holder == organization or holder.memberships.filter(user=user).exists()):
            # In one of the person's organizations: saying which reveals nothing new to them.
            raise LicensingError("ALREADY_CLAIMED", f"This license is already in {holder.as_place}.")
        if holder is not None:
            raise LicensingError(
                "LICENSE_TAKEN",
                "This key is registered to another account. If you bought it, "
                "contact support with your order.",
            )
        if license.status == License.Status.REVOKED:
            raise LicensingError("LICENSE_REVOKED", "This license has been revoked and cannot be claimed.")
        refuse_second_trial(organization, license.plan)
        license.organization = organization
        license.claimed_at = now
        license.save(update_fields=["organization", "claimed_at"])
        record(license, LicenseEvent.Kind.CLAIMED, Actor.customer(user, organization), now=now)
        integrators.record_holder_change([license], previous=None, new=organization, now=now)
        return license


def reveal_key(*, license: License) -> str:
    """The full key, for a member allowed to see it, after reauthentication (the caller checks both)."""
    return keys.unseal(license.key_sealed)
