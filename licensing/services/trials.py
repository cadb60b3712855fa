"""Self-service trials: a customer starts one trial per product from their account."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from licensing.models import License, Plan
from licensing.services.common import Actor, IssuedLicense, LicensingError
from licensing.services.staff import issue_license
from organizations.services import personal_organization


def trial_plans() -> QuerySet[Plan]:
    """The trial plans on offer, with their product."""
    return Plan.objects.filter(kind=Plan.Kind.TRIAL, is_active=True).select_related("product")


def tried_products(user) -> set[int]:
    licenses = License.objects.filter(organization__personal_for=user, trial_of__isnull=False)
    return set(licenses.values_list("trial_of", flat=True))


def start_trial(*, user, plan: Plan, now: datetime | None = None) -> IssuedLicense:
    """Issue a trial license of ``plan`` to ``user``; its key is shown once by the caller.

    One trial per account and product: the trial goes to the person's personal organization,
    checked under a lock on it for a clear message, and backed by a unique constraint on
    (organization, trial product) for anything that slips past.
    """
    if plan.kind != Plan.Kind.TRIAL:
        raise LicensingError("NOT_A_TRIAL", "This plan is not a trial.")
    try:
        with transaction.atomic():
            organization = personal_organization(user=user)
            return issue_license(
                plan=plan, organization=organization, actor=Actor.customer(user, organization), now=now
            )
    except IntegrityError:
        raise LicensingError(
            "TRIAL_ALREADY_USED", f"This account has already had a trial of {plan.product}."
        ) from None
