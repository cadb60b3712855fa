"""The licenses a person may see and act on, by the role rules of ``organizations.access``.

Every license page, list and action loads its licenses here: people outside the holding
organization get 404, members whose role is too weak get the 403 of ``RoleRequired``.
"""

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from licensing.models import License
from organizations.access import Action, require
from organizations.models import Membership, Organization


def visible_licenses(user) -> QuerySet[License]:
    """Every license of every organization ``user`` belongs to.

    One membership per person and organization (a constraint): the join makes no duplicates.
    """
    return License.objects.filter(organization__memberships__user=user)


def _role_in_organization(user) -> Subquery:
    return Subquery(
        Membership.objects.filter(organization=OuterRef("organization"), user=user).values("role")[:1]
    )


def license_for(user, license_id, action: Action) -> License:
    """The license ``license_id`` if ``user`` may do ``action``: 404 for non-members, 403 for a weak role.

    The license carries ``role`` (the user's role in its organization) for the page to use.
    """
    license = get_object_or_404(
        License.objects.select_related("plan__product", "organization")
        .annotate(role=_role_in_organization(user))
        .filter(role__isnull=False),
        public_id=license_id,
    )
    role: str = license.role  # type: ignore[attr-defined]  # the annotation above
    assert license.organization is not None  # a role means a membership of the holding organization
    require(role, action, license.organization)
    return license


def licenses_held_by(organization: Organization) -> QuerySet[License]:
    """The licenses ``organization``'s API tokens see: the one place that decides it.

    Today the licenses it holds; licenses other organizations grant it are added here.
    """
    return License.objects.filter(organization=organization)
