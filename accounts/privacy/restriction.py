"""Restriction and objection: the person's privacy choices, and who declines optional mail."""

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import security_events
from accounts.models import PrivacyChoices, SecurityEvent, User


def choices_of(user: User) -> PrivacyChoices:
    return PrivacyChoices.objects.filter(user=user).first() or PrivacyChoices(user=user)


def is_restricted(user: User) -> bool:
    """Whether the person restricted processing: nobody but them may change their data."""
    return PrivacyChoices.objects.filter(user_id=user.pk, restricted_at__isnull=False).exists()


RESTRICTED_NOTE = (
    "This person restricted the processing of their data: use it only for what they asked "
    "for or what the contract requires, and change nothing in their account."
)


@transaction.atomic
def set_choices(
    *, user: User, restrict: bool, object_to_optional_mail: bool, request: HttpRequest | None = None
) -> PrivacyChoices:
    """Record the person's restriction and objection; the first date of each is kept."""
    choices, _ = PrivacyChoices.objects.select_for_update().get_or_create(user=user)
    now = timezone.now()
    before = (choices.restricted_at is not None, choices.objected_at is not None)
    choices.restricted_at = (choices.restricted_at or now) if restrict else None
    choices.objected_at = (choices.objected_at or now) if object_to_optional_mail else None
    choices.save(update_fields=["restricted_at", "objected_at"])
    if before != (restrict, object_to_optional_mail):
        security_events.record(
            user=user,
            kind=SecurityEvent.Kind.PRIVACY_CHOICES_CHANGED,
            request=request,
            detail=f"Restricted: {'yes' if restrict else 'no'}; "
            f"optional email: {'declined' if object_to_optional_mail else 'allowed'}",
        )
    return choices


def addresses_declining_optional_mail(addresses: list[str]) -> set[str]:
    """Those of ``addresses`` whose accounts objected to optional mail or restricted processing."""
    wanted = {address.strip().lower() for address in addresses}
    declined = PrivacyChoices.objects.filter(user__email__in=wanted).filter(
        models.Q(objected_at__isnull=False) | models.Q(restricted_at__isnull=False)
    )
    return set(declined.values_list("user__email", flat=True))


def declines_optional_mail(user: User) -> bool:
    return (
        PrivacyChoices.objects.filter(user_id=user.pk)
        .filter(models.Q(objected_at__isnull=False) | models.Q(restricted_at__isnull=False))
        .exists()
    )


def declined_optional_mail(addresses: list[str], *, user: User | None = None) -> set[str]:
    """Those of ``addresses`` (lower-cased) that must get no optional mail; all of them when
    ``user`` declined. The outbox asks this through ``settings.OUTBOX_OPTIONAL_MAIL_DECLINED``."""
    if user is not None and declines_optional_mail(user):
        return {address.strip().lower() for address in addresses}
    return addresses_declining_optional_mail(addresses)
