"""Invitations by email: an owner or manager invites an address with a role; that address accepts.

The link carries a random token and the database keeps only its SHA-256 digest, so a copy
of the database opens no invitation. The rules hold in the database: one pending
invitation per organization and address (a partial unique constraint; inviting again
replaces the pending one under a lock on the organization row), and an invitation is used
once (accepting and revoking are conditional updates from "pending").
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from organizations.access import Action, require
from organizations.models import Invitation, Membership, Organization
from organizations.services import OrganizationError
from outbox.models import OutboundEmail
from outbox.services import queue_email

Role = Membership.Role
Status = Invitation.Status

VALID_FOR = timedelta(days=7)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    token: str  # in the emailed link only; never stored
    replaced: bool


@transaction.atomic
def invite(*, by, organization: Organization, email: str, role: str) -> Sent:
    """Invite ``email`` to ``organization`` with ``role``, replacing a pending invitation of that address.

    The email does not name the person inviting: it outlives their account in the outbox.
    The invitation page does, while their account exists.

    Owners invite with any role; managers invite viewers and managers.
    """
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    acting = Membership.objects.filter(organization=organization, user=by).first()
    require(acting.role if acting else None, Action.INVITE, organization)
    if role not in Role.values:
        raise OrganizationError("UNKNOWN_ROLE", "Choose owner, manager or viewer.")
    if role == Role.OWNER:
        require(acting.role if acting else None, Action.MANAGE_MEMBERS, organization)
    if organization.is_personal:
        raise OrganizationError(
            "PERSONAL_ORGANIZATION",
            "Your personal licenses are yours alone: create an organization to work with colleagues.",
        )
    email = normalize(email)
    if Membership.objects.filter(organization=organization, user__email=email).exists():
        raise OrganizationError("ALREADY_A_MEMBER", f"{email} is already a member of {organization}.")
    now = timezone.now()
    replaced = (
        Invitation.objects.filter(organization=organization, email=email, status=Status.PENDING).update(
            status=Status.REVOKED, closed_at=now
        )
        > 0
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_digest=digest(token),
        invited_by=by,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    queue_email(
        to=[email],
        template="organization_invitation",
        context={
            "organization": organization,
            "role": Role(role).label.lower(),
            "expires_at": invitation.expires_at,
            "accept_url": settings.SITE_URL + reverse("organizations:invitation", args=[token]),
        },
        category=OutboundEmail.Category.SERVICE,
    )
    return Sent(invitation=invitation, token=token, replaced=replaced)


@transaction.atomic
def revoke(*, by, organization: Organization, invitation_id: int) -> Invitation:
    """An owner withdraws a pending invitation; its link stops working at once."""
    acting = Membership.objects.filter(organization=organization, user=by).first()
    require(acting.role if acting else None, Action.MANAGE_MEMBERS, organization)
    invitation = Invitation.objects.filter(organization=organization, pk=invitation_id).first()
    if invitation is None:
        raise OrganizationError("UNKNOWN_INVITATION", "This invitation does not exist.")
    changed = Invitation.objects.filter(pk=invitation.pk, status=Status.PENDING).update(
        status=Status.REVOKED, closed_at=timezone.now()
    )
    if not changed:
        raise OrganizationError("NOT_PENDING", f"The invitation of {invitation.email} is no longer pending.")
    return invitation


def find(token: str) -> Invitation | None:
    """The invitation a link's token opens, in whatever state it is (None for an unknown token)."""
    return Invitation.objects.select_related("organization").filter(token_digest=digest(token)).first()


def refusal(invitation: Invitation, *, now=None) -> OrganizationError | None:
    """Why this invitation cannot be accepted any more, or None while it can."""
    now = now or timezone.now()
    if invitation.status == Status.ACCEPTED:
        return OrganizationError(
            "ALREADY_ACCEPTED", f"This invitation to {invitation.organization} was already accepted."
        )
    if invitation.status == Status.REVOKED:
        return OrganizationError(
            "REVOKED",
            f"This invitation to {invitation.organization} was withdrawn. Ask its owners for a new one.",
        )
    if invitation.expired(now):
        return OrganizationError(
            "EXPIRED",
            f"This invitation to {invitation.organization} expired on {invitation.expires_at:%d %B %Y}. "
            "Ask its owners for a new one.",
        )
    return None


def addressed_to(invitation: Invitation, user) -> bool:
    """Whether ``user`` has verified the address the invitation was sent to."""
    return EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()


@dataclass(frozen=True)
class Accepted:
    membership: Membership
    joined: bool  # False: the person was already a member, and nothing changed


@transaction.atomic
def accept(*, user, token: str) -> Accepted:
    """``user`` accepts the invitation of ``token``: they become a member with its role.

    Needs a verified address equal to the invited one. The invitation is used once: the
    change from "pending" is a conditional update, so two acceptances race to one winner.
    A person already in the organization keeps their role, and the invitation is used up.
    """
    invitation = find(token)
    if invitation is None:
        raise OrganizationError("UNKNOWN_INVITATION", "This invitation link is not valid.")
    if not addressed_to(invitation, user):
        raise OrganizationError(
            "OTHER_ADDRESS",
            f"This invitation is for {invitation.email}. Sign in with the account of that address.",
        )
    now = timezone.now()
    won = Invitation.objects.filter(pk=invitation.pk, status=Status.PENDING, expires_at__gt=now).update(
        status=Status.ACCEPTED, accepted_by=user, closed_at=now
    )
    if not won:
        invitation.refresh_from_db()
        raise refusal(invitation, now=now) or OrganizationError("NOT_PENDING", "This link cannot be used.")
    membership, joined = Membership.objects.get_or_create(
        organization=invitation.organization,
        user=user,
        defaults={"role": invitation.role, "created_at": now},
    )
    return Accepted(membership=membership, joined=joined)


def purge_closed(*, now=None) -> int:
    """Delete invitations withdrawn (or replaced) or left to expire over the retention period ago.

    Accepted invitations stay: they record who joined and when, and go with the account of
    the person who joined (the privacy registry's erase).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.ORGANIZATION_INVITATION_RETENTION_DAYS)
    deleted, _ = Invitation.objects.filter(
        Q(status=Status.REVOKED, closed_at__lt=cutoff) | Q(status=Status.PENDING, expires_at__lt=cutoff)
    ).delete()
    return deleted
