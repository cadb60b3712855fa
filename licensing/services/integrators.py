"""Integrators: a customer organization lets another organization see or manage its licenses.

An owner of the customer invites by email an owner or manager of the integrator; the link
is single-use, works for 7 days and for that verified address only, and the person who
accepts chooses which of their organizations becomes the integrator. The grant, its changes
and its revocation are written into the history of every license it covers.

Races end in the database: acceptance is a conditional update on the still-open invitation
(one winner), one active grant per customer and integrator is a unique constraint, and
revocation and changes lock the grant row.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kalytera.errors import DomainError
from licensing.models import License, LicenseEvent
from licensing.services.common import Actor
from organizations.access import Action, require
from organizations.models import IntegratorGrant, Membership, Organization
from outbox.models import OutboundEmail
from outbox.services import queue_email

INVITATION_VALIDITY = timedelta(days=7)
Scope = IntegratorGrant.Scope
Role = Membership.Role


class GrantError(DomainError):
    """A refused integrator grant; ``code`` is stable."""


@dataclass(frozen=True)
class Invitation:
    grant: IntegratorGrant
    token: str  # in the emailed link only; the grant stores its hash


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(user, organization: Organization) -> str | None:
    return organization.memberships.filter(user=user).values_list("role", flat=True).first()


def invite_integrator(
    *,
    by,
    customer: Organization,
    email: str,
    scope: str,
    licenses: list[License] | None = None,
    send_reminders: bool = False,
    now: datetime | None = None,
) -> Invitation:
    """An owner of ``customer`` invites an integrator (all licenses, or ``licenses`` by name) by email."""
    now = now or timezone.now()
    require(_role(by, customer), Action.MANAGE_INTEGRATORS, customer)
    if scope not in Scope.values:
        raise GrantError("UNKNOWN_SCOPE", "Choose view or manage.")
    email = email.strip().lower()
    if not email:
        raise GrantError("NO_EMAIL", "Enter the email address of an owner or manager of your integrator.")
    if licenses is not None:
        if not licenses:
            raise GrantError("NO_LICENSES", "Choose at least one license, or all of them.")
        if any(license.organization_id != customer.pk for license in licenses):
            raise GrantError("NOT_YOUR_LICENSE", f"Choose licenses of {customer} only.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        grant = IntegratorGrant.objects.create(
            customer=customer,
            email=email,
            token_hash=token_hash(token),
            scope=scope,
            all_licenses=licenses is None,
            send_reminders=send_reminders,
            created_by=by,
            created_at=now,
            expires_at=now + INVITATION_VALIDITY,
        )
        if licenses is not None:
            grant.licenses.set(licenses)
        queue_email(
            to=[email],
            template="integrator_invitation",
            context={
                "customer": customer,
                "invited_by": by.email,
                "scope": grant.get_scope_display().lower(),
                "all_licenses": grant.all_licenses,
                "license_count": len(licenses or []),
                "expires_at": grant.expires_at,
                "accept_url": settings.SITE_URL + reverse("licensing:integrator_accept", args=[token]),
            },
            category=OutboundEmail.Category.SERVICE,
        )
    return Invitation(grant, token)


def open_invitation(token: str, now: datetime | None = None) -> IntegratorGrant | None:
    """The invitation of a link, if it can still be accepted (None: used, withdrawn, expired or unknown)."""
    now = now or timezone.now()
    return (
        IntegratorGrant.objects.pending(now)
        .select_related("customer")
        .filter(token_hash=token_hash(token))
        .first()
    )


def integrator_choices(user) -> list[Organization]:
    """The organizations ``user`` may make an integrator: where they are owner or manager."""
    return list(
        Organization.objects.filter(
            memberships__user=user, memberships__role__in=[Role.OWNER, Role.MANAGER]
        ).order_by("name", "pk")
    )


def has_verified(user, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def covered_licenses(grant: IntegratorGrant) -> list[License]:
    if grant.all_licenses:
        return list(License.objects.filter(organization=grant.customer_id).order_by("pk"))
    return list(grant.licenses.filter(organization=grant.customer_id).order_by("pk"))


def _event(grant: IntegratorGrant, license: License, kind: str, actor: Actor, now: datetime, **detail):
    assert grant.integrator is not None  # only accepted grants are recorded
    return LicenseEvent(
        license=license,
        kind=kind,
        actor=actor.kind,
        actor_user=actor.user,
        organization=actor.organization,
        detail={"integrator": grant.integrator.name, "scope": grant.scope, **detail},
        created_at=now,
    )


def _record_all(grant: IntegratorGrant, kind: str, actor: Actor, now: datetime, **detail) -> None:
    """One history entry per license the grant covers, in one statement."""
    LicenseEvent.objects.bulk_create(
        _event(grant, license, kind, actor, now, **detail) for license in covered_licenses(grant)
    )


def accept_invitation(*, user, token: str, integrator: Organization, now: datetime | None = None):
    """``user`` accepts an invitation for ``integrator``: access to the granted licenses starts now.

    Needs the invited address verified on ``user``'s account and the owner or manager role in
    ``integrator``. Accepting twice, or two people at once: one wins, the other is told.
    """
    now = now or timezone.now()
    grant = open_invitation(token, now)
    if grant is None:
        raise GrantError(
            "INVITATION_CLOSED",
            "This invitation can no longer be accepted: it was used, withdrawn or has expired. "
            "Ask the customer for a new one.",
        )
    if not has_verified(user, grant.email):
        raise GrantError(
            "WRONG_ACCOUNT",
            f"This invitation is for {grant.email}. Sign in with the account of that address "
            "(and verify it) to accept it.",
        )
    if integrator.pk == grant.customer_id:
        raise GrantError(
            "GRANT_TO_ITSELF",
            f"{grant.customer} cannot be its own integrator: its members already see its licenses. "
            "Choose another organization.",
        )
    if _role(user, integrator) not in (Role.OWNER, Role.MANAGER):
        raise GrantError(
            "NOT_INTEGRATOR_LEAD", f"Only owners and managers of {integrator} can accept it for {integrator}."
        )
    try:
        with transaction.atomic():
            accepted = IntegratorGrant.objects.filter(
                pk=grant.pk,
                token_hash=grant.token_hash,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(accepted_at=now, accepted_by=user, integrator=integrator, token_hash=None)
            if not accepted:
                raise GrantError("INVITATION_CLOSED", "This invitation was accepted or withdrawn just now.")
            grant.refresh_from_db()
            creator = Actor.customer(grant.created_by, grant.customer)
            _record_all(grant, LicenseEvent.Kind.INTEGRATOR_GRANTED, creator, now)
    except IntegrityError as exc:
        raise GrantError(
            "ALREADY_INTEGRATOR",
            f"{integrator} already looks after {grant.customer}. Ask {grant.customer} to change that "
            "grant instead.",
        ) from exc
    return grant


def _locked_grant(by, customer: Organization, grant_id) -> IntegratorGrant:
    require(_role(by, customer), Action.MANAGE_INTEGRATORS, customer)
    grant = (
        IntegratorGrant.objects.select_for_update(of=("self",))
        .select_related("integrator", "customer")
        .filter(customer=customer, public_id=grant_id)
        .first()
    )
    if grant is None or grant.revoked_at is not None:
        raise GrantError("NO_SUCH_GRANT", f"This grant of {customer} no longer exists or was revoked.")
    return grant


@transaction.atomic
def revoke_grant(*, by, customer: Organization, grant_id, now: datetime | None = None) -> IntegratorGrant:
    """An owner of ``customer`` ends a grant (or withdraws the invitation); access ends with this commit."""
    now = now or timezone.now()
    grant = _locked_grant(by, customer, grant_id)
    grant.revoked_at, grant.revoked_by, grant.token_hash = now, by, None
    grant.save(update_fields=["revoked_at", "revoked_by", "token_hash"])
    if grant.accepted_at is not None:
        _record_all(grant, LicenseEvent.Kind.INTEGRATOR_REVOKED, Actor.customer(by, customer), now)
    return grant


@transaction.atomic
def change_grant(
    *,
    by,
    customer: Organization,
    grant_id,
    scope: str,
    send_reminders: bool,
    now: datetime | None = None,
) -> IntegratorGrant:
    """An owner of ``customer`` changes a grant's scope or reminders; scope changes go into the history."""
    now = now or timezone.now()
    grant = _locked_grant(by, customer, grant_id)
    if scope not in Scope.values:
        raise GrantError("UNKNOWN_SCOPE", "Choose view or manage.")
    previous = grant.scope
    grant.scope, grant.send_reminders = scope, send_reminders
    grant.save(update_fields=["scope", "send_reminders"])
    if grant.accepted_at is not None and previous != scope:
        actor = Actor.customer(by, customer)
        _record_all(grant, LicenseEvent.Kind.INTEGRATOR_CHANGED, actor, now, previous_scope=previous)
    return grant


def record_holder_change(
    licenses: list[License], *, previous: Organization | None, new: Organization, now: datetime
) -> None:
    """Licenses changed hands (a claim, a transfer): the histories say which integrators lost or gained them.

    Access follows the holder: the grants of ``previous`` stop covering the licenses, the grants
    of all of ``new``'s licenses cover them from now on. Nothing is written when no grant applies.
    """
    system, events = Actor.system(), []
    active = IntegratorGrant.objects.active().select_related("integrator").order_by("pk")
    if previous is not None:
        for grant in active.filter(customer=previous).prefetch_related("licenses"):
            named = {license.pk for license in grant.licenses.all()}
            lost = [license for license in licenses if grant.all_licenses or license.pk in named]
            kind = LicenseEvent.Kind.INTEGRATOR_REVOKED
            events += [_event(grant, license, kind, system, now, left=previous.name) for license in lost]
    for grant in active.filter(customer=new, all_licenses=True):
        kind = LicenseEvent.Kind.INTEGRATOR_GRANTED
        events += [_event(grant, license, kind, system, now, joined=new.name) for license in licenses]
    LicenseEvent.objects.bulk_create(events)
