"""What organizations hold about a person: their memberships, with the role in each.

On purge the memberships go (access ends with them) and the personal organization lets go
of the person; licensing runs first (a higher order) and unassigns that organization's
licenses, so the key holder can add them to another account as before organizations.
"""

from kalytera.personal_data import PersonalData, register
from organizations.models import Membership, Organization


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
