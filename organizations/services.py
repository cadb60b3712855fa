"""What people do with organizations: the personal organization, new organizations, roles and leaving.

Every rule that must hold under concurrency holds in the database: one personal
organization per person (a unique column), one membership per person and organization
(a unique constraint), and "an organization with members keeps an owner" under a lock
on the organization row, taken before owners are counted.
"""

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, OuterRef, ProtectedError, RestrictedError, When

from kalytera.errors import DomainError
from organizations.access import Action, require
from organizations.models import Membership, Organization

Role = Membership.Role

PERSONAL_NAME = "Personal licenses"


class OrganizationError(DomainError):
    """A refused change to an organization; ``code`` is stable."""


def personal_organization(*, user) -> Organization:
    """The organization that holds ``user``'s own licenses, made on first use (signup, or older accounts).

    Safe under concurrency: two requests racing to make it both end with the same row.
    """
    existing = Organization.objects.filter(personal_for=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            organization = Organization.objects.create(name=PERSONAL_NAME, personal_for=user)
            Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
            return organization
    except IntegrityError:
        return Organization.objects.get(personal_for=user)


@transaction.atomic
def create_organization(*, user, name: str) -> Organization:
    """A new organization with ``user`` as its first owner."""
    organization = Organization.objects.create(name=name.strip())
    Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
    return organization


def _locked(organization: Organization, by) -> Membership:
    """Lock the organization (so owners are counted once at a time) and return ``by``'s membership."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    membership = Membership.objects.filter(organization=organization, user=by).first()
    if membership is None:
        raise OrganizationError("NOT_A_MEMBER", f"You are no longer a member of {organization}.")
    return membership


def _member(organization: Organization, membership_id: int, *, what: str) -> Membership:
    found = (
        Membership.objects.filter(organization=organization, pk=membership_id).select_related("user").first()
    )
    if found is None:
        raise OrganizationError("NOT_A_MEMBER", f"The {what} is not a member of {organization}.")
    return found


def _keep_an_owner(organization: Organization, leaving: Membership, successor_id: int | None) -> None:
    """If ``leaving`` is the last owner, promote the member named as successor, or refuse."""
    owners = Membership.objects.filter(organization=organization, role=Role.OWNER).exclude(pk=leaving.pk)
    if leaving.role != Role.OWNER or owners.exists():
        return
    if successor_id is None:
        raise OrganizationError(
            "LAST_OWNER",
            f"You are the last owner of {organization}: name another member who becomes owner first.",
        )
    successor = _member(organization, successor_id, what="successor")
    if successor.pk == leaving.pk:
        raise OrganizationError("LAST_OWNER", "Name another member as the new owner, not yourself.")
    successor.role = Role.OWNER
    successor.save(update_fields=["role"])


@transaction.atomic
def change_role(
    *, by, organization: Organization, membership_id: int, role: str, successor_id: int | None = None
) -> Membership:
    """An owner changes a member's role (their own too, if another owner remains or is named)."""
    acting = _locked(organization, by)
    require(acting.role, Action.MANAGE_MEMBERS, organization)
    member = _member(organization, membership_id, what="person")
    if role not in Role.values:
        raise OrganizationError("UNKNOWN_ROLE", "Choose owner, manager or viewer.")
    if role != Role.OWNER:
        _keep_an_owner(organization, member, successor_id)
    member.role = role
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def remove_member(
    *, by, organization: Organization, membership_id: int, successor_id: int | None = None
) -> None:
    """An owner removes a member, or anyone leaves (``membership_id`` their own). Access ends at once.

    Every page loads licenses through the membership, so the next request of the removed
    person already gets 404.
    """
    acting = _locked(organization, by)
    member = _member(organization, membership_id, what="person")
    if member.pk != acting.pk:
        require(acting.role, Action.MANAGE_MEMBERS, organization)
    _keep_an_owner(organization, member, successor_id)
    member.delete()


@transaction.atomic
def dissolve(*, by, organization: Organization) -> None:
    """An owner ends an organization that holds no licenses: its members, invitations and API tokens go.

    The row itself stays (without members) when a license's history still names it, so that
    the history keeps saying who acted. The lock on the organization row keeps a key from
    being added to it meanwhile.
    """
    acting = _locked(organization, by)
    require(acting.role, Action.MANAGE_MEMBERS, organization)
    if organization.is_personal:
        raise OrganizationError(
            "PERSONAL_ORGANIZATION", "Your personal licenses belong to your account: it cannot be dissolved."
        )
    held = organization.licenses.count()
    if held:
        raise OrganizationError(
            "HOLDS_LICENSES",
            f"{organization} holds {held} license{'s' if held != 1 else ''}: move "
            f"{'them' if held != 1 else 'it'} to another organization first, then dissolve it.",
        )
    try:
        with transaction.atomic():
            organization.delete()
    except (ProtectedError, RestrictedError):
        for related in (organization.memberships, organization.invitations, organization.api_tokens):
            related.all().delete()


# --- Account deletion: the last owner's successor ------------------------------------------------


def _sole_ownerships(user):
    """``user``'s owner memberships of organizations where nobody else is owner but others are members."""
    others = Membership.objects.filter(organization=OuterRef("organization")).exclude(user=user)
    return (
        Membership.objects.filter(user=user, role=Role.OWNER)
        .filter(Exists(others))
        .exclude(Exists(others.filter(role=Role.OWNER)))
    )


def needing_successor(*, user) -> list[tuple[Organization, list[Membership]]]:
    """Each organization that ``user`` alone owns while others are members, with those members.

    Members are listed managers first, then by seniority: the order the purge falls back to.
    """
    result = []
    for own in _sole_ownerships(user).select_related("organization").order_by("organization__name"):
        members = list(
            Membership.objects.filter(organization_id=own.organization_id)
            .exclude(pk=own.pk)
            .select_related("user")
            .order_by(*_SENIORITY)
        )
        result.append((own.organization, members))
    return result


@transaction.atomic
def name_successors(*, user, successors: dict[int, int]) -> None:
    """Record whom ``user`` names as owner of each organization (by id) when their account is purged."""
    for organization_id, membership_id in successors.items():
        named = Membership.objects.filter(pk=membership_id, organization_id=organization_id).exclude(
            user=user
        )
        if not named.exists():
            raise OrganizationError("NOT_A_MEMBER", "Name a member of the organization as its new owner.")
        Membership.objects.filter(user=user, organization_id=organization_id, role=Role.OWNER).update(
            successor_on_deletion_id=membership_id
        )


# Managers before viewers, then the longest-standing member.
_SENIORITY: tuple[Case | str, ...] = (
    Case(When(role=Role.MANAGER, then=0), When(role=Role.VIEWER, then=1), default=2),
    "created_at",
    "pk",
)


def hand_over_ownership(*, user) -> None:
    """At the purge of ``user``'s account: each organization they alone own gets a new owner.

    The member they named, if still a member; else the longest-standing manager, else the
    longest-standing member. An organization with no other member keeps its licenses
    without an owner. Runs in the purge's transaction, under a lock on each organization.
    """
    owned = Membership.objects.filter(user=user, role=Role.OWNER).values_list("organization_id", flat=True)
    for organization_id in list(owned):
        Organization.objects.select_for_update().filter(pk=organization_id).first()
        mine = Membership.objects.get(user=user, organization_id=organization_id)
        others = Membership.objects.filter(organization_id=organization_id).exclude(pk=mine.pk)
        if others.filter(role=Role.OWNER).exists():
            continue
        successor = None
        if mine.successor_on_deletion_id is not None:  # emptied if that member left
            successor = others.filter(pk=mine.successor_on_deletion_id).first()
        successor = successor or others.order_by(*_SENIORITY).first()
        if successor is not None:
            successor.role = Role.OWNER
            successor.save(update_fields=["role"])
