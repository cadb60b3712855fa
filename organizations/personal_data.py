"""What organizations hold about a person: their memberships, with the role in each, and the
integrator grants they made, accepted or revoked, or that invite their address.

On purge the memberships go (access ends with them) and the personal organization lets go
of the person; licensing runs first (a higher order) and unassigns that organization's
licenses, so the key holder can add them to another account as before organizations.
"""

from django.db.models import Q
from django.utils import timezone

from kalytera.personal_data import PersonalData, email_addresses, register
from organizations.models import ApiToken, IntegratorGrant, Invitation, Membership, Organization
from organizations.services import hand_over_ownership


def _collect(user) -> list[dict]:
    return [
        {
            "organization": membership.organization.name,
            "organization_id": str(membership.organization.public_id),
            "personal": membership.organization.personal_for_id == user.pk,
            "role": membership.role,
            "member_since": membership.created_at.isoformat(),
        }
        for membership in Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("created_at")
    ]


def _erase(user) -> None:
    hand_over_ownership(user=user)
    Membership.objects.filter(user=user).delete()
    Organization.objects.filter(personal_for=user).update(personal_for=None)


register(
    PersonalData(
        key="organizations",
        title="Organizations",
        explanation=(
            "The organizations you belong to and your role in each (owner, manager or viewer), "
            "including your personal organization that holds your own licenses. The other members "
            "of an organization see your email address and role."
        ),
        models=(Organization, Membership),
        collect=_collect,
        erase=_erase,
        order=25,
        kept_after_deletion=(
            "Organizations you belonged to keep their licenses and their other members; "
            "your membership is removed. Where you are the only owner, the member you name "
            "becomes owner (if they have left by then: the longest-standing manager, else member)."
        ),
    )
)


def _grants(user):
    mine = Q(created_by=user) | Q(accepted_by=user) | Q(revoked_by=user) | Q(email__in=email_addresses(user))
    return (
        IntegratorGrant.objects.filter(mine).select_related("customer", "integrator").order_by("created_at")
    )


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def _collect_grants(user) -> list[dict]:
    return [
        {
            "customer": grant.customer.name,
            "integrator": grant.integrator.name if grant.integrator else None,
            "invited_address": grant.email,
            "scope": grant.scope,
            "all_licenses": grant.all_licenses,
            "reminders_to_integrator": grant.send_reminders,
            "created_by_you": grant.created_by_id == user.pk,
            "created_at": _when(grant.created_at),
            "accepted_by_you": grant.accepted_by_id == user.pk,
            "accepted_at": _when(grant.accepted_at),
            "revoked_by_you": grant.revoked_by_id == user.pk,
            "revoked_at": _when(grant.revoked_at),
        }
        for grant in _grants(user)
    ]


def _erase_grants(user) -> None:
    """Forget the person in grants; invitations still open to their address are withdrawn.

    The grants themselves stay: they are the customer's decision, and the organizations'
    access depends on them, not on the person who clicked.
    """
    addresses = email_addresses(user)
    IntegratorGrant.objects.filter(
        email__in=addresses, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), token_hash=None)
    IntegratorGrant.objects.filter(email__in=addresses).update(email="")
    IntegratorGrant.objects.filter(created_by=user).update(created_by=None)
    IntegratorGrant.objects.filter(accepted_by=user).update(accepted_by=None)
    IntegratorGrant.objects.filter(revoked_by=user).update(revoked_by=None)


register(
    PersonalData(
        key="integrator_grants",
        title="Integrator grants",
        explanation=(
            "Grants that let an integrator's organization see or manage an organization's licenses: "
            "those you created, accepted or revoked, and invitations sent to your address. The owners "
            "of the customer organization see the invited address and who accepted; the integrator's "
            "members see the customer's name."
        ),
        models=(IntegratorGrant,),
        collect=_collect_grants,
        erase=_erase_grants,
        order=26,
        kept_after_deletion=(
            "Grants stay in force between the organizations, without your name or address; "
            "invitations still open to your address are withdrawn."
        ),
    )
)


def _invitations_of(user):
    """Invitations sent to one of ``user``'s addresses, accepted by them, or sent by them."""
    return Invitation.objects.filter(
        Q(email__in=email_addresses(user)) | Q(accepted_by=user) | Q(invited_by=user)
    )


def _invitations(user) -> list[dict]:
    return [
        {
            "organization": invitation.organization.name,
            "email": invitation.email,
            "role": invitation.role,
            "status": invitation.status,
            "sent_by_you": invitation.invited_by_id == user.pk,
            "created_at": invitation.created_at.isoformat(),
            "expires_at": invitation.expires_at.isoformat(),
            "closed_at": invitation.closed_at.isoformat() if invitation.closed_at else None,
        }
        for invitation in _invitations_of(user).select_related("organization").order_by("created_at")
    ]


def _erase_invitations(user) -> None:
    # Invitations to the person's addresses go; those they sent stay for the organization,
    # without naming them.
    Invitation.objects.filter(Q(email__in=email_addresses(user)) | Q(accepted_by=user)).delete()
    Invitation.objects.filter(invited_by=user).update(invited_by=None)


register(
    PersonalData(
        key="organization_invitations",
        title="Invitations to organizations",
        explanation=(
            "Invitations to join an organization sent to your address (the role offered, and whether "
            "it was accepted, withdrawn or left to expire), and the invitations you sent. The owners "
            "and managers of that organization see the address invited and who invited it."
        ),
        models=(Invitation,),
        collect=_invitations,
        erase=_erase_invitations,
        order=27,
        kept_after_deletion=(
            "Invitations you sent stay with the organization without your name; "
            "those sent to you are deleted."
        ),
    )
)


def _tokens(user) -> list[dict]:
    return [
        {
            "organization": token.organization.name,
            "name": token.name,
            "starts_with": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        }
        for token in ApiToken.objects.filter(created_by=user).select_related("organization").order_by("pk")
    ]


def _erase_tokens(user) -> None:
    ApiToken.objects.filter(created_by=user).update(created_by=None)


register(
    PersonalData(
        key="organization_api_tokens",
        title="Organization API tokens you made",
        explanation=(
            "The API tokens you made for an organization you own: their name, when you made them, "
            "when they were last used and revoked. The organization's owners see who made each token."
        ),
        models=(ApiToken,),
        collect=_tokens,
        erase=_erase_tokens,
        order=28,
        kept_after_deletion=(
            "Tokens you made keep working for the organization, without your name, "
            "until an owner revokes them."
        ),
    )
)
