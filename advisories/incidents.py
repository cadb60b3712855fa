"""Incident notices (breach notification): composed by Security staff, sent once, delivered once per person.

Sending resolves the audience into one ``IncidentDelivery`` row per person (unique on incident and
person) and clears the pasted list; the job then queues the emails in batches, taking rows with
``FOR UPDATE SKIP LOCKED`` so concurrent runs never queue a row twice. Each person also gets an
entry in their security timeline. The notice is a service notice: sent regardless of objections
to optional email, because people must be able to protect themselves.
"""

import logging
import re
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts import security_events
from accounts.models import SecurityEvent, User
from advisories.models import IncidentDelivery, IncidentNotice
from kalytera.errors import DomainError
from outbox.models import OutboundEmail
from outbox.services import queue_email

logger = logging.getLogger(__name__)


class IncidentError(DomainError):
    """A refused incident action, with a stable ``code`` and a sentence a person can act on."""


def parse_recipient_list(text: str) -> list[User]:
    """The active accounts named in a pasted list of addresses (one per line, or separated by , ;).

    Refuses the whole list, naming every entry that is not an address or not an active account,
    so staff correct it before anyone is told.
    """
    entries = [entry.strip().strip("<>").lower() for entry in re.split(r"[\s,;]+", text) if entry.strip()]
    if not entries:
        raise IncidentError("incidents.empty_list", "Paste at least one email address of an account.")
    malformed = []
    for entry in entries:
        try:
            validate_email(entry)
        except ValidationError:
            malformed.append(entry)
    if malformed:
        raise IncidentError(
            "incidents.malformed_address", f"These are not email addresses: {', '.join(malformed)}."
        )
    users = {user.email.lower(): user for user in User.objects.filter(email__in=set(entries), is_active=True)}
    unknown = sorted({entry for entry in entries if entry not in users})
    if unknown:
        raise IncidentError(
            "incidents.unknown_accounts",
            f"No active account uses {', '.join(unknown)}. Remove these lines or correct them; "
            "incident notices go to accounts only.",
        )
    return sorted(users.values(), key=lambda user: user.pk)


def audience(incident: IncidentNotice) -> list[int]:
    """The ids of the people ``incident`` goes to, as it stands."""
    if incident.audience == IncidentNotice.Audience.LIST:
        return [user.pk for user in parse_recipient_list(incident.recipient_list)]
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    return list(
        User.objects.filter(Exists(verified), is_active=True).order_by("pk").values_list("pk", flat=True)
    )


@transaction.atomic
def send_incident(*, incident: IncidentNotice, by, now: datetime | None = None) -> IncidentNotice:
    """Send a composed notice: once. A second send (or a double click) is refused."""
    now = now or timezone.now()
    locked = IncidentNotice.objects.select_for_update().get(pk=incident.pk)
    if locked.is_sent:
        raise IncidentError(
            "incidents.already_sent",
            f"This notice was sent on {locked.sent_at:%Y-%m-%d %H:%M} UTC; it is sent once.",
        )
    for name in ("title", "what_happened", "what_data", "what_to_do"):
        if not getattr(locked, name).strip():
            raise IncidentError("incidents.incomplete", "Fill in every part of the notice before sending it.")
    people = audience(locked)
    if not people:
        raise IncidentError("incidents.nobody", "Nobody would receive this notice.")
    IncidentDelivery.objects.bulk_create(
        [IncidentDelivery(incident=locked, user_id=user_id) for user_id in people], batch_size=5000
    )
    locked.sent_at = now
    locked.sent_by = by
    locked.recipient_count = len(people)
    locked.recipient_list = ""  # resolved into deliveries; the pasted list is not kept
    locked.save(update_fields=["sent_at", "sent_by", "recipient_count", "recipient_list"])
    logger.info("Incident notice %s sent by %s to %s people", locked.pk, by, len(people))
    return locked


def deliver_incident_notices(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Queue the emails of sent notices in batches; safe under concurrent runs. Returns how many."""
    now = now or timezone.now()
    batch_size = batch_size or settings.INCIDENT_NOTICE_BATCH_SIZE
    queued = 0
    while True:
        sent = _delivery_batch(now=now, batch_size=batch_size)
        if not sent:
            break
        queued += sent
    IncidentNotice.objects.filter(sent_at__isnull=False, completed_at__isnull=True).exclude(
        Exists(IncidentDelivery.objects.filter(incident=OuterRef("pk"), queued_at__isnull=True))
    ).update(completed_at=now)
    return queued


def _delivery_batch(*, now: datetime, batch_size: int) -> int:
    with transaction.atomic():
        deliveries = list(
            IncidentDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(queued_at__isnull=True)
            .select_related("incident", "user")
            .order_by("pk")[:batch_size]
        )
        for delivery in deliveries:
            incident = delivery.incident
            delivery.email = queue_email(
                to=[delivery.user.email],
                template="incident_notice",
                context={"incident": incident},
                category=OutboundEmail.Category.SERVICE,
            )
            delivery.email_address = delivery.user.email
            delivery.queued_at = now
            security_events.record(
                user=delivery.user, kind=SecurityEvent.Kind.INCIDENT_NOTICE, detail=incident.title
            )
        IncidentDelivery.objects.bulk_update(deliveries, ["email", "email_address", "queued_at"])
        return len(deliveries)


def purge_expired_deliveries(*, now: datetime | None = None) -> int:
    """Forget who received which notice after ``INCIDENT_DELIVERY_RETENTION_DAYS``; the count stays."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INCIDENT_DELIVERY_RETENTION_DAYS)
    deleted, _ = IncidentDelivery.objects.filter(queued_at__lt=cutoff).delete()
    return deleted
