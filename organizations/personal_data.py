"""What organizations hold about a person: their memberships, with the role in each, and the
integrator grants they made, accepted or revoked, or that invite their address.

On purge the memberships go (access ends with them) and the personal organization lets go
of the person; licensing runs first (a higher order) and unassigns that organization's
licenses, so the key holder can add them to another account as before organizations.
"""

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.utils import timezone

from kalytera.personal_data import PersonalData, register
from organizations.models import IntegratorGrant, Membership, Organization


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
            "your membership is removed."
        ),
    )
)


def _addresses(user) -> list[str]:
    emails = {
        user.email.lower(),
        *(e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)),
    }
    return sorted(emails)


def _grants(user):
    mine = Q(created_by=user) | Q(accepted_by=user) | Q(revoked_by=user) | Q(email__in=_addresses(user))
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
    addresses = _addresses(user)
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
