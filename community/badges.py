"""Badges shown next to display names, computed for every page, never stored.

"Staff" for staff accounts. "Customer" for people who belong to an organization with a
license in use: active, not past its end, with at least one server activated on it. The
badge says nothing more about the license (no plan, no count, no organization).
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from licensing.models import Activation, License


def licenses_in_use():
    """Licenses in use now: the rule behind the Customer badge."""
    now = timezone.now()
    return License.objects.filter(status=License.Status.ACTIVE).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        Exists(Activation.objects.filter(license=OuterRef("pk"), is_active=True)),
    )


def badges_for(user_ids: Iterable[int | None]) -> dict[int, list[str]]:
    """``{user id: ["Staff"] | ["Customer"] | ...}`` for the given people, in one query."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return {}
    in_use = licenses_in_use().filter(organization__memberships__user=OuterRef("pk"))
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(customer=Exists(in_use))
        .values_list("pk", "is_staff", "customer")
    )
    badges: dict[int, list[str]] = {}
    for pk, is_staff, customer in rows:
        badges[pk] = [label for label, has in (("Staff", is_staff), ("Customer", customer)) if has]
    return badges
