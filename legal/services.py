"""Legal workflows: publishing versions, recording acceptances, and notices of changes."""

import logging
from datetime import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from kalytera.cache import forget
from kalytera.errors import DomainError
from kalytera.prepared import PreparedLookup
from legal.models import Acceptance, ChangeNotice, Policy, PolicyVersion
from outbox.models import OutboundEmail
from outbox.services import queue_email

logger = logging.getLogger(__name__)


class LegalError(DomainError):
    """A refused legal action, with a stable ``code`` and a sentence a person can act on."""


# --- Staff: drafts and publishing ----------------------------------------------------------------


@transaction.atomic
@transaction.atomic
def start_draft(*, policy: Policy, based_on: PolicyVersion | None = None) -> PolicyVersion:
    """A new draft holding the text of ``based_on`` (default: the newest released version).

    A draft of that text that nobody has edited yet is returned instead of a second copy, so
    a double click (or two staff members at once: the policy row is locked) makes one draft.
    """
    Policy.objects.select_for_update().filter(pk=policy.pk).first()
    source = based_on or policy.versions.released().order_by("-number").first()
    fields = {"title": source.title if source else policy.name, "body": source.body if source else ""}
    untouched = policy.versions.filter(status=PolicyVersion.Status.DRAFT, summary="", **fields)
    return untouched.order_by("pk").first() or PolicyVersion.objects.create(
        policy=policy, summary="", material=False, **fields
    )


# The public page of each policy is kept in the shared cache (legal.views.policy_page).
POLICY_PAGE_CACHE_SECONDS = 60


def policy_page_cache_key(slug: str) -> str:
    return f"legal:policy-page:{slug}"


def forget_policy_page(policy_id: int) -> None:
    """Drop the cached page of a policy whose versions changed, in every process at once."""
    slug = Policy.objects.filter(pk=policy_id).values_list("slug", flat=True).first()
    if slug is not None:
        # Without Redis nothing is served from it, and the entry expires within a minute.
        forget([policy_page_cache_key(slug)])


@transaction.atomic
def publish_version(
    *, version: PolicyVersion, by, effective_at: datetime | None = None, now: datetime | None = None
) -> PolicyVersion:
    """Publish a draft now, or schedule it to take effect at ``effective_at``.

    The version gets the next number of its policy. Versions take effect in the order
    of their numbers, so a new version must take effect after the newest released one;
    the policy row is locked so two publishers cannot take the same number.
    """
    now = now or timezone.now()
    effective_at = effective_at or now
    Policy.objects.select_for_update().get(pk=version.policy_id)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise LegalError("legal.already_published", f"Version {locked.number} is already published.")
    if not locked.summary.strip():
        raise LegalError("legal.summary_missing", "Write a summary of the changes before publishing.")
    if effective_at < now:
        raise LegalError("legal.effective_in_past", "The effective date must not lie in the past.")
    latest = PolicyVersion.objects.released().filter(policy_id=locked.policy_id).order_by("-number").first()
    if latest is not None and effective_at <= latest.effective_at:
        raise LegalError(
            "legal.effective_before_latest",
            f"Version {latest.number} takes effect on {date_format(latest.effective_at, 'DATETIME_FORMAT')}; "
            "a new version must take effect after it.",
        )
    locked.number = (latest.number if latest else 0) + 1
    locked.status = PolicyVersion.Status.PUBLISHED if effective_at <= now else PolicyVersion.Status.SCHEDULED
    locked.effective_at = effective_at
    locked.published_at = now
    locked.published_by = by
    locked.save(
        update_fields=["number", "status", "effective_at", "published_at", "published_by", "updated_at"]
    )
    transaction.on_commit(lambda: forget_policy_page(locked.policy_id))
    logger.info("%s published by %s, effective %s", locked, by, effective_at.isoformat())
    return locked


@transaction.atomic
def withdraw_version(*, version: PolicyVersion, by, now: datetime | None = None) -> PolicyVersion:
    """Call off a scheduled version before it takes effect; it becomes a draft again.

    Only the newest version can be scheduled (versions take effect in number order),
    so clearing its number leaves no gap.
    """
    now = now or timezone.now()
    Policy.objects.select_for_update().get(pk=version.policy_id)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != PolicyVersion.Status.SCHEDULED:
        raise LegalError("legal.not_scheduled", "Only a scheduled version can be withdrawn.")
    assert locked.effective_at is not None  # scheduled versions have their date
    if locked.effective_at <= now:
        raise LegalError("legal.already_in_effect", f"Version {locked.number} has taken effect already.")
    number = locked.number
    PolicyVersion.objects.filter(pk=locked.pk).withdraw(at=now)
    locked.refresh_from_db()
    transaction.on_commit(lambda: forget_policy_page(locked.policy_id))
    logger.info("%s, scheduled as version %s, withdrawn by %s", locked, number, by)
    return locked


def mark_due_versions_published(*, now: datetime | None = None) -> int:
    """Scheduled versions whose date has come are published (pages already show them by date)."""
    return PolicyVersion.objects.filter(
        status=PolicyVersion.Status.SCHEDULED, effective_at__lte=now or timezone.now()
    ).update(status=PolicyVersion.Status.PUBLISHED)


# --- Notices of material changes ----------------------------------------------------------------


def versions_needing_notices(*, now: datetime | None = None) -> list[PolicyVersion]:
    """Material versions in effect whose notices are not all queued yet.

    A policy's first version replaces nothing, so there is no change to announce.
    """
    return list(
        PolicyVersion.objects.in_effect(now)
        .filter(material=True, notices_completed_at__isnull=True, number__gt=1)
        .select_related("policy")
        .order_by("effective_at")
    )


def send_change_notices(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Queue one email notice per active person for every material change now in effect.

    Runs in batches, each in its own transaction that holds a lock on the version row:
    a second job running at the same time skips the version instead of waiting. The
    unique constraint on (user, version) makes a second notice impossible even so.
    Returns the number of notices queued.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.LEGAL_NOTICE_BATCH_SIZE
    queued = 0
    for version in versions_needing_notices(now=now):
        while True:
            sent = _notice_batch(version_id=version.pk, now=now, batch_size=batch_size)
            if sent is None:
                break
            queued += sent
    return queued


def _notice_batch(*, version_id: int, now: datetime, batch_size: int) -> int | None:
    """Queue one batch; ``None`` when the version is done or another job holds it."""
    with transaction.atomic():
        version = (
            PolicyVersion.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("policy")
            .filter(pk=version_id, notices_completed_at__isnull=True)
            .first()
        )
        if version is None:
            return None
        # Only people who proved they own their address: an unverified sign-up gets no mail from us.
        verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
        recipients = list(
            get_user_model()
            .objects.filter(Exists(verified), is_active=True, date_joined__lt=version.effective_at)
            .exclude(pk__in=ChangeNotice.objects.filter(version=version).values("user_id"))
            .exclude(pk__in=Acceptance.objects.filter(version=version).values("user_id"))
            .order_by("pk")[:batch_size]
        )
        if not recipients:
            PolicyVersion.objects.filter(pk=version.pk).update(notices_completed_at=now)
            logger.info("All notices of %s are queued", version)
            return None
        context = _notice_context(version)
        notices = []
        for user in recipients:
            email = queue_email(
                to=[user.email],
                template="legal_change_notice",
                context=context,
                category=OutboundEmail.Category.SERVICE,
            )
            notices.append(ChangeNotice(user=user, version=version, email_address=user.email, email=email))
        ChangeNotice.objects.bulk_create(notices)
        return len(notices)


def _notice_context(version: PolicyVersion) -> dict:
    previous = (
        PolicyVersion.objects.released()
        .filter(policy_id=version.policy_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    site = settings.SITE_URL
    compare_path = (
        f"{reverse('legal:compare', args=[version.policy.slug])}?old={previous.number}&new={version.number}"
        if previous
        else ""
    )
    return {
        "policy": version.policy,
        "version": version,
        "policy_url": f"{site}{version.policy.get_absolute_url()}",
        "compare_url": f"{site}{compare_path}" if compare_path else "",
        "accept_url": f"{site}{reverse('legal:accept', args=[version.policy.slug])}"
        if version.policy.requires_acceptance
        else "",
    }


# In the header of every signed-in page; compiled once per process (kalytera.prepared).
_UNDISMISSED_NOTICES = PreparedLookup(
    ChangeNotice,
    lambda user_id: (
        ChangeNotice.objects.filter(user_id=user_id, dismissed_at__isnull=True)
        .select_related("version__policy")
        .order_by("-version__number")
    ),
    user_id=int,
)


def notices_to_show(*, user) -> list[ChangeNotice]:
    """Undismissed notices of changes in force: the newest one per policy."""
    newest: dict[int, ChangeNotice] = {}
    for notice in _UNDISMISSED_NOTICES.all(user_id=user.pk):
        newest.setdefault(notice.version.policy_id, notice)
    return list(newest.values())


@transaction.atomic
def dismiss_notice(*, user, notice_id: int) -> int:
    """Dismiss a notice and any older ones of the same policy. Raises ``LookupError`` if not theirs."""
    notice = ChangeNotice.objects.filter(pk=notice_id, user=user).select_related("version").first()
    if notice is None:
        raise LookupError(notice_id)
    return ChangeNotice.objects.filter(
        user=user,
        version__policy_id=notice.version.policy_id,
        version__number__lte=notice.version.number,
        dismissed_at__isnull=True,
    ).update(dismissed_at=timezone.now())


# --- Acceptance ----------------------------------------------------------------------------------


def _policies_to_accept(user_id: int, at: datetime) -> QuerySet[Policy]:
    latest_material = (
        PolicyVersion.objects.in_effect(at)
        .filter(policy=OuterRef("pk"), material=True)
        .order_by("-number")
        .values("number")[:1]
    )
    accepted = Acceptance.objects.filter(
        user_id=user_id, version__policy=OuterRef("pk"), version__number__gte=OuterRef("latest_material")
    )
    return (
        Policy.objects.filter(requires_acceptance=True)
        .annotate(latest_material=Subquery(latest_material))
        .filter(latest_material__isnull=False)
        .exclude(Exists(accepted))[:1]
    )


# The Terms gate of every license page; compiled once per process (kalytera.prepared).
_FIRST_POLICY_TO_ACCEPT = PreparedLookup(Policy, _policies_to_accept, user_id=int, at=datetime)


def first_policy_to_accept(*, user, at: datetime | None = None) -> Policy | None:
    """The first policy (in their order) with a version ``user`` must accept, in one query.

    The same rule as ``pending_acceptance`` for every policy that requires acceptance: the
    newest material version in effect, unless a version since then was accepted.
    """
    return _FIRST_POLICY_TO_ACCEPT.first(user_id=user.pk, at=at or timezone.now())


def pending_acceptance(*, user, policy: Policy, at: datetime | None = None) -> PolicyVersion | None:
    """The version ``user`` must accept before going on, or ``None``.

    Someone who accepted any version since the newest material one is up to date:
    editorial changes need no new acceptance.
    """
    if not policy.requires_acceptance:
        return None
    in_effect = policy.versions.in_effect(at)
    latest_material = in_effect.filter(material=True).order_by("-number").first()
    if latest_material is None:
        return None
    if Acceptance.objects.filter(
        user=user, version__policy=policy, version__number__gte=latest_material.number
    ).exists():
        return None
    return in_effect.order_by("-number").first()


@transaction.atomic
def accept_version(*, user, version: PolicyVersion, source: str = Acceptance.Source.PROMPT) -> Acceptance:
    """Record that ``user`` accepted ``version`` (idempotent) and clear its notices."""
    if not version.is_in_effect():
        raise LegalError("legal.version_not_in_force", "This version is not in force yet.")
    current = version.policy.version_in_force()
    if current is None or current.pk != version.pk:
        raise LegalError(
            "legal.version_superseded",
            "A newer version took effect while you were reading. Please review the current text.",
        )
    try:
        with transaction.atomic():
            acceptance, _ = Acceptance.objects.get_or_create(
                user=user, version=version, defaults={"source": source}
            )
    except IntegrityError:  # the same person accepting in two tabs at once
        acceptance = Acceptance.objects.get(user=user, version=version)
    ChangeNotice.objects.filter(
        user=user, version__policy_id=version.policy_id, dismissed_at__isnull=True
    ).update(dismissed_at=timezone.now())
    return acceptance


SIGNUP_POLICIES = (Policy.Slug.TERMS, Policy.Slug.PRIVACY)


def record_signup_acceptances(*, user) -> list[Acceptance]:
    """At sign-up: acceptance of the Terms and acknowledgement of the Privacy Policy in force."""
    acceptances = []
    for policy in Policy.objects.filter(slug__in=SIGNUP_POLICIES):
        version = policy.version_in_force()
        if version is not None:
            acceptances.append(
                Acceptance.objects.create(user=user, version=version, source=Acceptance.Source.SIGNUP)
            )
    return acceptances
