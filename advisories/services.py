"""Advisory workflows: drafting revisions, publishing them, and the targeted notice of affected customers.

Who is told: for every published revision that ``notifies`` (the first release, a higher
severity, or more versions affected), every person responsible for a license
(``organizations.access.notified_members``) with an active machine whose reported version is
affected gets one email naming those machines and the version to update to. It is a service
notice: sent even to people who declined optional email. ``AdvisoryNotice`` is unique on
(person, revision), written in the transaction that queues the email, so a second or concurrent
job run sends nothing twice; batches hold a lock on the revision row (skipped by other runs),
as the policy notices do.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advisories.models import SEVERITY_RANK, Advisory, AdvisoryNotice, AdvisoryRevision
from advisories.scoring import score
from kalytera.errors import DomainError
from licensing import versions
from licensing.links import email_links
from licensing.models import Activation, License, Release
from organizations.access import notified_by_license
from outbox.models import OutboundEmail
from outbox.services import queue_email

logger = logging.getLogger(__name__)

REVISION_FIELDS = (
    "title",
    "summary",
    "cve_ids",
    "cvss_vector",
    "affected_ranges",
    "fixed_versions",
    "workarounds",
    "acknowledgements",
)


class AdvisoryError(DomainError):
    """A refused advisory action, with a stable ``code`` and a sentence a person can act on."""


# --- Drafting and publishing ---------------------------------------------------------------------


@transaction.atomic
def start_revision(*, advisory: Advisory) -> AdvisoryRevision:
    """A draft with the content of the newest published revision (or an existing draft: one at a time)."""
    Advisory.objects.select_for_update().get(pk=advisory.pk)
    draft = advisory.revisions.filter(published_at__isnull=True).order_by("pk").first()
    if draft is not None:
        return draft
    current = advisory.revisions.filter(published_at__isnull=False).order_by("-number").first()
    if current is None:
        raise AdvisoryError("advisories.no_revision", "This advisory has no revision to start from.")
    return AdvisoryRevision.objects.create(
        advisory=advisory, **{name: getattr(current, name) for name in REVISION_FIELDS}
    )


@transaction.atomic
def publish_revision(*, revision: AdvisoryRevision, by, now: datetime | None = None) -> AdvisoryRevision:
    """Publish a draft revision: it gets the next number, becomes what the public sees, and is frozen.

    Decides whether it notifies: the first revision does; a later one only when it raises the
    severity or affects a version the previous one did not (``widens``). One that does not
    is marked as having no notices to send.
    """
    now = now or timezone.now()
    advisory = Advisory.objects.select_for_update().get(pk=revision.advisory_id)
    locked = AdvisoryRevision.objects.select_for_update().get(pk=revision.pk)
    if not locked.is_draft:
        raise AdvisoryError("advisories.already_published", f"Revision {locked.number} is already published.")
    try:
        for text in locked.affected_ranges:
            versions.parse_range(str(text))
        for text in locked.fixed_versions:
            versions.parse(str(text))
    except versions.InvalidVersion as error:
        raise AdvisoryError("advisories.invalid_version", str(error)) from None
    if not locked.affected_ranges:
        raise AdvisoryError("advisories.no_ranges", "Name at least one affected version range.")
    locked.base_score, locked.severity, locked.cvss_vector = score(locked.cvss_vector)
    previous = advisory.revisions.filter(published_at__isnull=False).order_by("-number").first()
    if previous is not None and not locked.change_summary.strip():
        raise AdvisoryError(
            "advisories.change_summary_missing", "Say what this revision changes before publishing it."
        )
    locked.change_summary = locked.change_summary.strip() or "Initial release."
    locked.number = (previous.number if previous and previous.number else 0) + 1
    locked.notifies = previous is None or (
        SEVERITY_RANK[locked.severity] > SEVERITY_RANK[previous.severity] or widens(previous, locked)
    )
    locked.notices_completed_at = None if locked.notifies else now
    locked.published_at = now
    locked.published_by = by
    locked.save()
    advisory.current = locked
    advisory.first_published_at = advisory.first_published_at or now
    advisory.save(update_fields=["current", "first_published_at"])
    logger.info("%s published by %s (notifies: %s)", locked, by, locked.notifies)
    return locked


def widens(previous: AdvisoryRevision, new: AdvisoryRevision) -> bool:
    """Whether ``new`` affects a version ``previous`` did not.

    Ranges are compared on the versions that matter: every release of the product, every
    version an active machine reports, and every bound either revision names (so a range
    moved past a release not yet published is caught too).
    """
    candidates: set[str] = set(
        Release.objects.filter(product_id=new.advisory.product_id).values_list("version", flat=True)
    )
    candidates |= set(
        Activation.objects.filter(license__plan__product_id=new.advisory.product_id, is_active=True)
        .values_list("product_version", flat=True)
        .order_by("product_version")  # without the model's ordering, so distinct means distinct
        .distinct()
    )
    for revision in (previous, new):
        for version_range in revision.ranges:
            # Only bounds written out: 6.2.x stands for >=6.2.0-alpha0, which no release is called.
            candidates |= {
                bound.text for _, bound in version_range.bounds if bound.text in version_range.text
            }
    return any(new.affects(text) and not previous.affects(text) for text in candidates)


# --- Who is affected ---------------------------------------------------------------------------------


@dataclass
class AffectedPerson:
    user_id: int
    email: str
    machines: list[Activation] = field(default_factory=list)


def affected_versions(revision: AdvisoryRevision) -> list[str]:
    """The reported versions (as machines spell them) that ``revision`` affects."""
    reported = (
        Activation.objects.filter(license__plan__product_id=revision.advisory.product_id, is_active=True)
        .values_list("product_version", flat=True)
        .order_by("product_version")  # without the model's ordering, so distinct means distinct
        .distinct()
    )
    return [text for text in reported if revision.affects(text)]


def affected_people(revision: AdvisoryRevision) -> dict[int, AffectedPerson]:
    """Each person responsible for a license with an active machine on an affected version, by user id."""
    machines = (
        Activation.objects.filter(
            is_active=True,
            product_version__in=affected_versions(revision),
            license__status=License.Status.ACTIVE,
            license__organization__isnull=False,
            license__plan__product_id=revision.advisory.product_id,
        )
        # Only what the email names: a data set of a million machines stays affordable.
        .select_related("license")
        .only(
            "label",
            "public_id",
            "product_version",
            "license__public_id",
            "license__key_prefix",
            "license__organization_id",
        )
        .order_by("license_id", "pk")
    )
    by_license: dict[int, list[Activation]] = defaultdict(list)
    for machine in machines:
        by_license[machine.license_id].append(machine)
    licenses = [license_machines[0].license for license_machines in by_license.values()]
    people: dict[int, AffectedPerson] = {}
    for license_id, told in notified_by_license(licenses).items():
        for user in told:
            if user.is_active:
                person = people.setdefault(user.pk, AffectedPerson(user_id=user.pk, email=user.email))
                person.machines.extend(by_license[license_id])
    return people


# --- The notice job ---------------------------------------------------------------------------------------


def revisions_needing_notices() -> list[AdvisoryRevision]:
    return list(
        AdvisoryRevision.objects.filter(
            published_at__isnull=False, notifies=True, notices_completed_at__isnull=True
        )
        .select_related("advisory__product")
        .order_by("published_at")
    )


def send_advisory_notices(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Queue one email per affected person for every revision that notifies; returns how many.

    Safe to run at any time and from several processes at once (see the module docstring).
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.ADVISORY_NOTICE_BATCH_SIZE
    queued = 0
    for revision in revisions_needing_notices():
        people = affected_people(revision)
        told = set(AdvisoryNotice.objects.filter(revision=revision).values_list("user_id", flat=True))
        pending = [people[user_id] for user_id in sorted(people) if user_id not in told]
        while True:
            sent = _notice_batch(revision_id=revision.pk, pending=pending, now=now, batch_size=batch_size)
            if sent is None:
                break
            queued += sent
    return queued


def _notice_batch(
    *, revision_id: int, pending: list[AffectedPerson], now: datetime, batch_size: int
) -> int | None:
    """Queue the next batch of ``pending`` (consumed); ``None`` when done or another run holds it."""
    with transaction.atomic():
        revision = (
            AdvisoryRevision.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("advisory__product")
            .filter(pk=revision_id, notices_completed_at__isnull=True)
            .first()
        )
        if revision is None:
            return None
        if not pending:
            AdvisoryRevision.objects.filter(pk=revision.pk).update(notices_completed_at=now)
            logger.info("All notices of %s are queued", revision)
            return None
        batch = pending[:batch_size]
        del pending[:batch_size]
        # Another run may have told some of them since this run looked: the lock makes this check true.
        told = set(
            AdvisoryNotice.objects.filter(
                revision=revision, user_id__in=[p.user_id for p in batch]
            ).values_list("user_id", flat=True)
        )
        notices = []
        for person in batch:
            if person.user_id in told:
                continue
            email = queue_email(
                to=[person.email],
                template="advisory_notice",
                context=_notice_context(revision, person),
                category=OutboundEmail.Category.SERVICE,
            )
            notices.append(
                AdvisoryNotice(
                    user_id=person.user_id,
                    revision=revision,
                    email_address=person.email,
                    machines=len(person.machines),
                    email=email,
                    queued_at=now,
                )
            )
        AdvisoryNotice.objects.bulk_create(notices)
        return len(notices)


def _notice_context(revision: AdvisoryRevision, person: AffectedPerson) -> dict:
    machines = [
        {
            "name": str(machine),
            "version": machine.product_version,
            "fixed": revision.fixed_version_for(machine.product_version),
            "license": machine.license,
            **email_links(machine.license),
        }
        for machine in person.machines
    ]
    return {
        "advisory": revision.advisory,
        "revision": revision,
        "machines": machines,
        "advisory_url": settings.SITE_URL + revision.advisory.get_absolute_url(),
        "first": revision.number == 1,
    }
