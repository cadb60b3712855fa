"""Account workflows that span the user and allauth's records."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User

STAFF_GROUPS = ("Support", "Licensing", "Legal", "Security", "Community")


@transaction.atomic
def create_verified_user(
    *,
    email: str,
    password: str | None,
    company: str = "",
    phone: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user outside the signup flow (staff, demo, scripts).

    allauth only lets a user in whose primary address is verified; users created
    elsewhere would otherwise be stuck at "verify your email".
    """
    user = User.objects.create_user(
        email=email,
        password=password,
        company=company,
        phone=phone,
        is_staff=is_staff,
        is_superuser=is_superuser,
        age_confirmed_at=timezone.now(),
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@transaction.atomic
def create_staff_user(*, email: str, password: str | None, group: str | None) -> User:
    """Create a staff member, optionally in one of the staff groups (least privilege)."""
    if group is not None and group not in STAFF_GROUPS:
        raise ValueError(f"Unknown staff group {group!r}; choose one of {', '.join(STAFF_GROUPS)}.")
    user = create_verified_user(email=email, password=password, is_staff=True)
    if group is not None:
        user.groups.add(Group.objects.get(name=group))
    return user


def update_profile(*, user: User, company: str, phone: str) -> list[str]:
    """Save the optional profile fields; returns the names of the fields that changed."""
    changed = [
        field for field, value in (("company", company), ("phone", phone)) if getattr(user, field) != value
    ]
    for field in changed:
        setattr(user, field, company if field == "company" else phone)
    if changed:
        user.save(update_fields=changed)
    return changed
