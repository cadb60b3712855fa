"""The licenses a person may see and act on, by the rules of ``organizations.access``.

Every license page, list and action loads its licenses here. A person reaches the licenses
of the organizations they belong to (by their role there) and those that an active
integrator grant gives to one of their organizations (by the grant's scope and their role
in the integrator). Everyone else gets 404; a role or grant too weak for the action gets
the 403 of ``RoleRequired`` or ``GrantRequired``.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    F,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import Http404

from kalytera.prepared import PreparedLookup, PreparedRows
from licensing.models import License
from organizations.access import Action, allows, covering_grants, granted_role, require, require_granted
from organizations.models import IntegratorGrant, Membership, Organization

Role = Membership.Role
Scope = IntegratorGrant.Scope


@dataclass(frozen=True)
class Reach:
    """What ``user`` reaches, from one query: see ``reach``."""

    organizations: frozenset[int]  # whose licenses the person sees (memberships and whole grants)
    licenses: frozenset[int]  # single licenses granted besides
    roles: dict[int, str]  # the person's role in each organization they belong to
    looks_after: bool  # an organization of theirs holds an active grant (an integrator)

    def licenses_visible(self) -> QuerySet[License]:
        return licenses_in(sorted(self.organizations), sorted(self.licenses))


def licenses_in(organizations: list[int], licenses: list[int]) -> QuerySet[License]:
    """The licenses of ``organizations`` and ``licenses`` (from a ``Reach``), in SQL that stays the same."""
    return License.objects.filter(
        Q(_AnyOf(F("organization_id"), organizations)) | Q(_AnyOf(F("pk"), licenses))
    )


class _AnyOf(Lookup):
    """``column = ANY(%s)``: one array parameter whatever the number of ids (``IN`` takes one
    each), so that a query over what a person reaches is the same SQL for everyone and can be
    compiled once (``kalytera.prepared``)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        """SQLite (development) has no arrays: the ids as one JSON array, read by ``json_each``."""
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = json.dumps(list(self.rhs))  # numbers only: a parameter, never part of the SQL text
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, ids]  # noqa: S608 - lhs is a column


def _reach_rows(user_id: int) -> QuerySet:
    none = Cast(Value(None), output_field=BigIntegerField())
    no_role = Cast(Value(None), output_field=CharField())
    grants = grants_reaching(user_id)
    chosen = _chosen(grants)
    members = Membership.objects.filter(user=user_id).annotate(o=F("organization_id"), n=none, r=F("role"))
    wholes = grants.filter(all_licenses=True).annotate(o=F("customer_id"), n=none, r=no_role)
    singles = chosen.annotate(o=none, n=F("license_id"), r=no_role)
    single_rows = singles.values_list("o", "n", "r")
    # A grant of chosen licenses none of which the customer still holds still makes an integrator.
    marks = grants.filter(all_licenses=False).annotate(o=none, n=none, r=no_role).values_list("o", "n", "r")
    return members.values_list("o", "n", "r").union(
        wholes.values_list("o", "n", "r"), single_rows, marks, all=True
    )


# Every signed-in license page asks; the SQL is the same for everyone but the user's id.
_REACH_ROWS = PreparedRows(Membership, _reach_rows, user_id=int)


def reach(user) -> Reach:
    """The organizations whose licenses ``user`` reaches, the single licenses granted besides, roles.

    One query, compiled once per process: memberships (with the role), grants of all licenses
    and grants of chosen licenses, as rows of (organization, license, role, from a grant). Read
    first so that the license query stays on its indexes.
    """
    organizations, licenses, roles, looks_after = set(), set(), {}, False
    for organization_id, license_id, role in _REACH_ROWS.all(user_id=user.pk):
        if role is not None:
            roles[organization_id] = role
        else:
            looks_after = True  # rows without a role come from grants
        if organization_id is not None:
            organizations.add(organization_id)
        elif license_id is not None:
            licenses.add(license_id)
    return Reach(frozenset(organizations), frozenset(licenses), roles, looks_after)


def visible_licenses(user) -> QuerySet[License]:
    """Every license ``user`` may see: their organizations' and those granted to their organizations."""
    return reach(user).licenses_visible()


def _chosen(grants: QuerySet[IntegratorGrant]) -> QuerySet:
    """The rows of licenses chosen by name in ``grants``, while the grant's customer still holds them."""
    return IntegratorGrant.licenses.through.objects.filter(
        integratorgrant__in=grants.filter(all_licenses=False).values("pk"),
        license__organization=F("integratorgrant__customer"),
    )


def covered(grants: Iterable[IntegratorGrant]) -> tuple[list[int], list[int]]:
    """The customers whose licenses ``grants`` cover whole, and the licenses they choose by name.

    Read before the license query, as ``reach`` is, so that the license query names ids and
    stays on the license table's indexes: with the grants as its subqueries PostgreSQL cannot
    tell how few licenses they cover, and with a million licenses it read a whole index of
    the license table (hundreds of milliseconds). One query, only when a grant chooses licenses.
    """
    grants = list(grants)
    whole = sorted({grant.customer_id for grant in grants if grant.all_licenses})
    choosing = [grant.pk for grant in grants if not grant.all_licenses]
    chosen: list[int] = []
    if choosing:
        rows = IntegratorGrant.licenses.through.objects.filter(
            integratorgrant__in=choosing, license__organization=F("integratorgrant__customer")
        )
        chosen = sorted(set(rows.values_list("license_id", flat=True)))
    return whole, chosen


def licenses_granted_to(organization: Organization, scope: str | None = None) -> QuerySet[License]:
    """The licenses that active grants give to ``organization`` as integrator (``scope``: only those).

    For what an integrator organization sees as a whole (its API), beside the licenses it holds.
    """
    grants = IntegratorGrant.objects.active().filter(integrator=organization)
    if scope is not None:
        grants = grants.filter(scope=scope)
    return licenses_in(*covered(grants))


def grants_reaching(user) -> QuerySet[IntegratorGrant]:
    """The active grants held by the organizations ``user`` belongs to."""
    return IntegratorGrant.objects.active().filter(integrator__memberships__user=user)


def licenses_looked_after(user) -> QuerySet[License]:
    """The customers' licenses ``user`` reaches as a member of an integrator (the overview's)."""
    return licenses_in(*covered(grants_reaching(user)))


def _role_in_organization(user) -> Subquery:
    return Subquery(
        Membership.objects.filter(organization=OuterRef("organization"), user=user).values("role")[:1]
    )


def _best_grant(user) -> Subquery:
    """The grant covering the license that gives ``user`` the most: manage before view."""
    integrator_role = Membership.objects.filter(organization=OuterRef("integrator"), user=user).values("role")
    grants = (
        covering_grants(OuterRef("pk"), OuterRef("organization"))
        .annotate(integrator_role=Subquery(integrator_role[:1]))
        .filter(integrator_role__isnull=False)
        .annotate(
            strength=Case(
                When(scope=Scope.MANAGE, integrator_role__in=[Role.OWNER, Role.MANAGER], then=Value(2)),
                default=Value(1),
            )
        )
        .order_by("-strength", "pk")
    )
    return Subquery(grants.values("pk")[:1])


def _license_reached(user_id: int, public_id: uuid.UUID) -> QuerySet[License]:
    """The license ``public_id`` with the role and the best grant of ``user_id``, if either exists."""
    return (
        License.objects.select_related("plan__product", "organization")
        .annotate(member_role=_role_in_organization(user_id), grant_id=_best_grant(user_id))
        .filter(Q(member_role__isnull=False) | Q(grant_id__isnull=False), public_id=public_id)
    )


# Every license page asks it first: compiled once per process (``_license_reached`` with values).
_reached = PreparedLookup(License, _license_reached, user_id=int, public_id=uuid.UUID)


def license_for(user, license_id, action: Action) -> License:
    """The license ``license_id`` if ``user`` may do ``action``: 404 for others, 403 for a weak role or grant.

    The license carries ``role`` (what the person may do, as a customer role), ``acting_for``
    (the organization they act for, recorded in the history) and ``grant`` (the integrator
    grant they reach it through, or None).
    """
    try:
        public_id = license_id if isinstance(license_id, uuid.UUID) else uuid.UUID(str(license_id))
    except ValueError:
        raise Http404("No such license.") from None
    license = _reached.first(user_id=user.pk, public_id=public_id)
    if license is None:
        raise Http404("No such license.")
    assert license.organization is not None  # a membership or a grant means a holding organization
    member_role: str | None = license.member_role  # type: ignore[attr-defined]  # the annotation above
    grant_id: int | None = license.grant_id  # type: ignore[attr-defined]
    license.grant = None  # type: ignore[attr-defined]
    if grant_id is None or (member_role is not None and allows(member_role, action)):
        require(member_role, action, license.organization)
        license.role, license.acting_for = member_role, license.organization  # type: ignore[attr-defined]
        return license
    grant = IntegratorGrant.objects.select_related("customer", "integrator").get(pk=grant_id)
    integrator = grant.integrator
    assert integrator is not None  # active grants have one
    integrator_role = integrator.memberships.filter(user=user).values_list("role", flat=True).first()
    assert integrator_role is not None  # the annotation found the membership
    require_granted(grant, integrator_role, action)
    license.role = granted_role(grant.scope, integrator_role)  # type: ignore[attr-defined]
    license.acting_for, license.grant = integrator, grant  # type: ignore[attr-defined]
    return license


def licenses_held_by(organization: Organization) -> QuerySet[License]:
    """The licenses ``organization``'s API tokens see: the one place that decides it.

    Those it holds, and those its customers' active grants give it as integrator.
    """
    return License.objects.filter(
        Q(organization=organization) | Q(pk__in=licenses_granted_to(organization).values("pk"))
    )
