"""What each role may do, and who may open an organization: the one place that decides.

A person sees the licenses of the organizations they are a member of, and those that an
active integrator grant gives to one of their organizations. Everyone else gets 404
(existence is not confirmed); a member whose role is not enough gets a 403 that names the
role needed (``RoleRequired``), an integrator whose grant or role is not enough one that
names the grant (``GrantRequired``). Organizations are loaded only through
``membership_for``; licenses only through ``licensing.access``, which applies ``require``
and ``granted_role`` from here. Who hears about a license is ``notified_members``.
"""

from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kalytera.errors import ExplainedRefusal
from organizations.models import IntegratorGrant, Membership, Organization

Role = Membership.Role


class Action(StrEnum):
    VIEW = "see licenses, machines and history"
    CLAIM = "add license keys"
    MANAGE_MACHINES = "activate and deactivate machines"
    OFFLINE = "answer offline requests"
    CERTIFICATE = "download certificates"
    SHOW_KEY = "see license keys"
    INVITE = "invite viewers and managers"
    MANAGE_MEMBERS = "change members and their roles"
    MANAGE_INTEGRATORS = "give integrators access and revoke it"
    TRANSFER = "transfer licenses to another organization"


# The least role that allows each action; a higher role allows everything a lower one does.
REQUIRED_ROLE: dict[Action, str] = {
    Action.VIEW: Role.VIEWER,
    Action.CLAIM: Role.MANAGER,
    Action.MANAGE_MACHINES: Role.MANAGER,
    Action.OFFLINE: Role.MANAGER,
    Action.CERTIFICATE: Role.MANAGER,
    Action.SHOW_KEY: Role.MANAGER,
    Action.INVITE: Role.MANAGER,
    Action.MANAGE_MEMBERS: Role.OWNER,
    Action.MANAGE_INTEGRATORS: Role.OWNER,
    Action.TRANSFER: Role.OWNER,
}
_RANK = {Role.VIEWER: 1, Role.MANAGER: 2, Role.OWNER: 3}


class RoleRequired(ExplainedRefusal):
    """A member tried something their role does not allow."""

    def __init__(self, action: Action, organization: Organization) -> None:
        needed = Role(REQUIRED_ROLE[action]).label.lower()
        super().__init__(
            f"To {action} in {organization}, you need the {needed} role or higher. "
            f"Ask an owner of {organization} to change your role."
        )
        self.action = action


def allows(role: str | None, action: Action) -> bool:
    return role is not None and _RANK[Role(role)] >= _RANK[Role(REQUIRED_ROLE[action])]


def allowed_actions(role: str | None) -> set[str]:
    """The actions a role allows, by name, for templates: ``{% if "SHOW_KEY" in can %}``."""
    return {action.name for action in Action if allows(role, action)}


def require(role: str | None, action: Action, organization: Organization) -> None:
    if not allows(role, action):
        raise RoleRequired(action, organization)


def membership_for(user, organization_id, action: Action) -> Membership:
    """``user``'s membership of organization ``organization_id``: 404 for non-members, 403 for a weak role."""
    membership = get_object_or_404(
        Membership.objects.select_related("organization"), organization__public_id=organization_id, user=user
    )
    require(membership.role, action, membership.organization)
    return membership


def organizations_allowing(user, action: Action) -> QuerySet[Organization]:
    """The organizations in which ``user`` may do ``action`` (e.g. where a claimed key may go)."""
    roles = [role for role in Role.values if allows(role, action)]
    return Organization.objects.filter(memberships__user=user, memberships__role__in=roles)


Scope = IntegratorGrant.Scope
# What an integrator grant lets its organization's members do, by grant scope and their own role:
# with "manage", owners and managers act as a customer's manager would; everyone else only sees.
# Claiming keys, changing members and integrators, and transferring licenses stay with the
# customer's own members, whatever the grant.
_ACTS_FOR_CUSTOMER = (Role.OWNER, Role.MANAGER)
_CUSTOMER_ONLY = (Action.CLAIM, Action.MANAGE_MEMBERS, Action.MANAGE_INTEGRATORS, Action.TRANSFER)


def granted_role(scope: str, integrator_role: str | None) -> str | None:
    """The customer role an integrator's member has on a granted license (None: no access)."""
    if integrator_role is None:
        return None
    return Role.MANAGER if scope == Scope.MANAGE and integrator_role in _ACTS_FOR_CUSTOMER else Role.VIEWER


class GrantRequired(ExplainedRefusal):
    """An integrator's member tried something that their grant, or their role in it, does not allow."""

    def __init__(self, action: Action, grant: IntegratorGrant, integrator_role: str) -> None:
        customer, integrator = grant.customer, grant.integrator
        if action in _CUSTOMER_ONLY:
            message = (
                f"Only members of {customer} can {action} for {customer}: "
                f"your organization's grant from {customer} does not allow it."
            )
        elif grant.scope == Scope.VIEW:
            message = (
                f"To {action} for {customer}, your organization needs a grant that allows managing: "
                f"your organization's grant from {customer} allows viewing only. "
                f"Ask an owner of {customer} to change it."
            )
        else:
            message = (
                f"To {action} for {customer}, you need the manager role or higher in {integrator}: "
                f"your organization's grant from {customer} allows managing, your role allows viewing only. "
                f"Ask an owner of {integrator} to change your role."
            )
        super().__init__(message)
        self.action = action


def require_granted(grant: IntegratorGrant, integrator_role: str, action: Action) -> None:
    if action in _CUSTOMER_ONLY or not allows(granted_role(grant.scope, integrator_role), action):
        raise GrantRequired(action, grant, integrator_role)


def covering_grants(license_id, organization_id) -> QuerySet[IntegratorGrant]:
    """The active grants that cover one license (all of its organization's licenses, or it by name).

    ``license_id`` and ``organization_id`` may be values or ``OuterRef`` expressions.
    """
    # A grant of chosen licenses has one row per license: the join adds no duplicate.
    return IntegratorGrant.objects.active().filter(
        Q(all_licenses=True) | Q(licenses=license_id), customer=organization_id
    )


class HeldLicense(Protocol):
    """What ``notified_members`` needs of a license (a ``licensing.models.License``)."""

    pk: int
    organization_id: int | None


def notified_members(license: HeldLicense) -> list:
    """Who hears about a license (reminders, suspension notices, advisories): the one place that decides.

    The owners and managers of the organization that holds it, and the owners and managers
    of each integrator whose active grant covers it and whose customer ticked "send renewal
    reminders to the integrator too". Each person once (users, by email), however many of
    these organizations they belong to.
    """
    return notified_by_license([license]).get(license.pk, [])


def notified_by_license(licenses: Iterable[HeldLicense]) -> dict[int, list]:
    """``notified_members`` for many licenses at once (the advisory job), in three queries."""
    held = [license for license in licenses if license.organization_id is not None]
    customers = {license.organization_id for license in held}
    grants = (
        IntegratorGrant.objects.active()
        .filter(customer__in=customers, send_reminders=True)
        .only("customer_id", "integrator_id", "all_licenses")
    )
    named = IntegratorGrant.licenses.through.objects.filter(
        integratorgrant__in=grants.filter(all_licenses=False)
    )
    chosen: dict[int, set[int]] = defaultdict(set)  # grant -> licenses it names
    for grant_id, license_id in named.values_list("integratorgrant_id", "license_id"):
        chosen[grant_id].add(license_id)
    integrators_of: dict[int | None, list[IntegratorGrant]] = defaultdict(list)
    for grant in grants:
        integrators_of[grant.customer_id].append(grant)
    organizations = customers | {
        grant.integrator_id for grants_ in integrators_of.values() for grant in grants_
    }
    leads: dict[int | None, list] = defaultdict(list)
    memberships = Membership.objects.filter(
        organization__in=organizations, role__in=[Role.OWNER, Role.MANAGER]
    )
    for membership in memberships.select_related("user"):
        leads[membership.organization_id].append(membership.user)
    told: dict[int, list] = {}
    for license in held:
        sources = [license.organization_id] + [
            grant.integrator_id
            for grant in integrators_of[license.organization_id]
            if grant.all_licenses or license.pk in chosen[grant.pk]
        ]
        people = {user.pk: user for organization in sources for user in leads[organization]}
        told[license.pk] = sorted(people.values(), key=lambda user: user.email)
    return told
