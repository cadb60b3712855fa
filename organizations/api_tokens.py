"""Tokens of the Organization API: made and revoked by owners, checked on every API request.

A token is ``kal_org_`` and 43 URL-safe characters (256 random bits). It is shown once;
the database keeps its SHA-256 digest and a short prefix to tell tokens apart. The time
of last use is written at most once a minute (a conditional update), not on every request.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.access import Action, require
from organizations.models import ApiToken, Membership, Organization
from organizations.services import OrganizationError

PREFIX = "kal_org_"
SHOWN_PREFIX_LENGTH = len(PREFIX) + 6
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: ApiToken
    secret: str  # shown once to the owner, never stored


def _require_owner(by, organization: Organization) -> None:
    acting = Membership.objects.filter(organization=organization, user=by).first()
    require(acting.role if acting else None, Action.MANAGE_MEMBERS, organization)


@transaction.atomic
def create(*, by, organization: Organization, name: str) -> Created:
    """An owner makes a token for ``organization``'s API; the secret is returned this once."""
    _require_owner(by, organization)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization,
        name=name.strip(),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        token_digest=digest(secret),
        created_by=by,
    )
    return Created(token=token, secret=secret)


@transaction.atomic
def revoke(*, by, organization: Organization, token_id: int) -> ApiToken:
    """An owner revokes a token: the next request with it is refused."""
    _require_owner(by, organization)
    token = ApiToken.objects.filter(organization=organization, pk=token_id).first()
    if token is None:
        raise OrganizationError("UNKNOWN_TOKEN", "This token does not exist.")
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        raise OrganizationError("ALREADY_REVOKED", f"The token {token.name} was already revoked.")
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The live token ``secret`` names (with its organization), its last use noted; None otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("organization")
        .filter(token_digest=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
    return token
