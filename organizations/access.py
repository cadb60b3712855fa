"""What each role may do, and who may open an organization: the one place that decides.

A person sees the licenses of the organizations they are a member of. Everyone else gets
404 (existence is not confirmed); a member whose role is not enough gets a 403 that names
the role needed (``RoleRequired``). Organizations are loaded only through ``membership_for``;
licenses only through ``licensing.access``, which applies ``require`` from here.
"""

from enum import StrEnum

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kalytera.errors import ExplainedRefusal
from organizations.models import Membership, Organization

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


def notified_members(organization_id: int) -> QuerySet[Membership]:
    """Who hears about an organization's licenses (reminders, notices): its owners and managers."""
    return Membership.objects.filter(
        organization_id=organization_id, role__in=[Role.OWNER, Role.MANAGER]
    ).select_related("user")
