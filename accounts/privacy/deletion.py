"""Account deletion: request, grace period, purge, and re-applying purges after a restore.

The timeline the Privacy Policy promises (deleted within 30 days) is made of:
the grace period (PRIVACY_DELETION_GRACE_DAYS), the interval of the periodic
``purge_deleted_accounts`` job, and the life of the receipt email in the outbox
(at most PRIVACY_RECEIPT_MAX_DAYS). ``deletion_deadline_days()`` adds them up and a
system check refuses settings that exceed 30 days.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from importlib import import_module
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts import security_events
from accounts.models import DeletionRecord, DeletionRequest, SecurityEvent, User
from kalytera import personal_data
from kalytera.errors import DomainError
from organizations import services as organizations
from outbox.models import OutboundEmail
from outbox.services import queue_email

logger = logging.getLogger(__name__)

PROMISED_DAYS = 30


class DeletionRefused(DomainError):
    """Stable code in ``code``: ``email_mismatch``."""


def deletion_deadline_days() -> float:
    """The longest time from a request to the last trace of the account being gone."""
    job_days = dict(settings.PERIODIC_JOBS).get("purge_deleted_accounts", 86400) / 86400
    return settings.PRIVACY_DELETION_GRACE_DAYS + job_days + settings.PRIVACY_RECEIPT_MAX_DAYS


# --- Request and cancel --------------------------------------------------------------------------


@transaction.atomic
def request_deletion(
    *,
    user: User,
    confirm_email: str,
    successors: dict[int, int] | None = None,
    request: HttpRequest | None = None,
) -> DeletionRequest:
    """Disable the account at once, end every session, and schedule the purge.

    ``successors`` names, per organization that ``user`` alone owns, the member who becomes
    owner at the purge (organization id to membership id; see ``hand_over_ownership``).

    A sign-in racing this request may still save its session after the sessions
    were ended here; that session signs nobody in, because Django and allauth refuse
    a disabled account on every request and ``AccountAdapter.pre_login`` refuses any
    account with a pending deletion. The purge then removes such sessions too.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.normalize_email(confirm_email) != locked.email:
        raise DeletionRefused("email_mismatch", "Type the email address of this account to confirm.")
    organizations.name_successors(user=locked, successors=successors or {})
    now = timezone.now()
    deletion, _ = DeletionRequest.objects.get_or_create(
        user=locked,
        defaults={
            "requested_at": now,
            "purge_after": now + timedelta(days=settings.PRIVACY_DELETION_GRACE_DAYS),
        },
    )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    security_events.record(user=locked, kind=SecurityEvent.Kind.DELETION_REQUESTED, request=request)
    end_sessions(locked)
    queue_email(
        to=[locked.email],
        template="account_deletion_scheduled",
        context={"purge_after": deletion.purge_after},
        category=OutboundEmail.Category.ACCOUNT,
        user=locked,
    )
    return deletion


@transaction.atomic
def cancel_deletion(*, user_id: int, request: HttpRequest | None = None) -> User | None:
    """Re-activate an account in its grace period; None if it is purged or not pending.

    The purge locks the same request row: one of the two wins, never both.
    """
    deletion = DeletionRequest.objects.select_for_update().filter(user_id=user_id).first()
    if deletion is None:
        return None
    user = User.objects.select_for_update().get(pk=user_id)
    deletion.delete()
    user.is_active = True
    user.save(update_fields=["is_active"])
    security_events.record(user=user, kind=SecurityEvent.Kind.DELETION_CANCELLED, request=request)
    # The password (and the second factor, if any) cancels; the owner hears of it all the same.
    queue_email(
        to=[user.email],
        template="account_deletion_cancelled",
        context={},
        category=OutboundEmail.Category.SECURITY,
        user=user,
    )
    return user


def pending_deletion(user_id: int) -> DeletionRequest | None:
    return DeletionRequest.objects.filter(user_id=user_id).first()


def end_sessions(user: User, *, search_store: bool = False) -> int:
    """End every session of ``user``: the stored session and its entry in the session list.

    The session list knows the sessions allauth saw start. A sign-in that finished
    while the account was being disabled may have saved its session after that list
    was read; ``search_store`` also looks through the stored sessions themselves
    (slower: used by the purge, where nothing may be left).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    if search_store:
        keys |= _stored_session_keys_of(user)
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def _stored_session_keys_of(user: User) -> set[str]:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    if not isinstance(store, db.SessionStore):
        return set()  # other stores expire on their own and cannot be searched
    keys = set()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=1000):
        if str(store.decode(session.session_data).get("_auth_user_id")) == str(user.pk):
            keys.add(session.session_key)
    return keys


# --- Purge ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeSummary:
    purged: int
    receipts_removed: int


def purge_due(*, now=None) -> PurgeSummary:
    """Purge every account whose grace period is over, then tidy delivered receipts.

    Idempotent and safe to run from two schedulers at once (rows are locked, skipped
    when busy).
    """
    now = now or timezone.now()
    purged = 0
    due = DeletionRequest.objects.filter(purge_after__lte=now).values_list("pk", flat=True)
    for request_id in list(due):
        purged += _purge_request(request_id, now=now)
    return PurgeSummary(purged=purged, receipts_removed=remove_delivered_receipts(now=now))


@transaction.atomic
def _purge_request(request_id: int, *, now) -> bool:
    deletion = (
        DeletionRequest.objects.select_for_update(skip_locked=True)
        .filter(pk=request_id, purge_after__lte=now)
        .first()
    )
    if deletion is None:  # cancelled, or being purged by another run
        return False
    user = User.objects.select_for_update().get(pk=deletion.user_id)
    purge_account(user=user, requested_on=deletion.requested_at.date(), send_receipt=True)
    return True


def purge_account(*, user: User, requested_on: date, send_receipt: bool) -> DeletionRecord:
    """Erase every section of the registry for ``user`` and keep a record without personal data.

    Sections are erased in reverse display order: the account itself (shown first)
    goes last, after everything that hangs off it. Call inside a transaction.
    """
    email = user.email
    subject_digest, email_digest = digests(user_id=user.pk, email=email)
    end_sessions(user)  # first, so that no session is used during the purge; the section searches all
    for section in reversed(personal_data.sections()):
        section.erase(user)
    User.objects.filter(pk=user.pk).delete()  # in case no section removed the row itself
    today = timezone.now().date()
    record, created = DeletionRecord.objects.get_or_create(
        subject_digest=subject_digest,
        defaults={"email_digest": email_digest, "requested_on": requested_on, "purged_on": today},
    )
    if created:
        transaction.on_commit(partial(_append_to_ledger, record), robust=True)
    if send_receipt:
        # The receipt is the one message that must reach the address being deleted;
        # its outbox row is removed as soon as it is delivered (remove_delivered_receipts).
        record.receipt = queue_email(
            to=[email],
            template="account_deleted",
            context={"requested_on": requested_on},
            category=OutboundEmail.Category.ACCOUNT,
        )
        record.save(update_fields=["receipt"])
    return record


def remove_delivered_receipts(*, now=None) -> int:
    """Delete receipts once delivered or abandoned, and any left after PRIVACY_RECEIPT_MAX_DAYS."""
    now = now or timezone.now()
    receipts = OutboundEmail.objects.filter(
        pk__in=DeletionRecord.objects.filter(receipt__isnull=False).values("receipt")
    ).filter(
        Q(status__in=[OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED])
        | Q(created_at__lte=now - timedelta(days=settings.PRIVACY_RECEIPT_MAX_DAYS))
    )
    deleted, _ = receipts.delete()
    return deleted


# --- Keyed digests and re-applying deletions after a restore --------------------------------------


def _digest(label: str, value: str) -> str:
    key = settings.PRIVACY_PEPPER.encode()
    return hmac.new(key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()


def digests(*, user_id: int, email: str) -> tuple[str, str]:
    """(subject, email) digests; both must match for a re-applied deletion to touch an account."""
    return _digest("user", str(user_id)), _digest("email", email.strip().lower())


def _append_to_ledger(record: DeletionRecord) -> None:
    """Copy the record to the ledger file, which operators keep outside the database backups."""
    path = settings.PRIVACY_DELETION_LEDGER
    if not path:
        return
    line = json.dumps(
        {
            "subject_digest": record.subject_digest,
            "email_digest": record.email_digest,
            "requested_on": record.requested_on.isoformat(),
            "purged_on": record.purged_on.isoformat(),
        }
    )
    try:
        with Path(path).open("a", encoding="utf-8") as ledger:
            ledger.write(line + "\n")
    except OSError:
        logger.exception("Could not append to the deletion ledger %s", path)


def read_ledger(path: str) -> list[dict]:
    entries = []
    with Path(path).open(encoding="utf-8") as ledger:
        for number, line in enumerate(ledger, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                entries.append(
                    {
                        "subject_digest": str(entry["subject_digest"]),
                        "email_digest": str(entry["email_digest"]),
                        "requested_on": date.fromisoformat(entry["requested_on"]),
                        "purged_on": date.fromisoformat(entry["purged_on"]),
                    }
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"Line {number} of {path} is not a deletion record: {exc}") from exc
    return entries


def reapply_deletions(*, ledger_entries: list[dict] | None = None) -> int:
    """Purge again every account that a deletion record names (after restoring a backup).

    Records from the ledger that the restored database lacks are stored again.
    Returns the number of accounts purged. No receipt is sent a second time.
    """
    for entry in ledger_entries or []:
        DeletionRecord.objects.get_or_create(
            subject_digest=entry["subject_digest"],
            defaults={key: entry[key] for key in ("email_digest", "requested_on", "purged_on")},
        )
    wanted = dict(DeletionRecord.objects.values_list("subject_digest", "email_digest"))
    purged = 0
    candidates = list(User.objects.values_list("pk", "email"))
    for email_address in EmailAddress.objects.values_list("user_id", "email"):
        candidates.append(email_address)
    for user_id, email in candidates:
        subject_digest, email_digest = digests(user_id=user_id, email=email)
        if wanted.get(subject_digest) != email_digest:
            continue
        with transaction.atomic():
            user = User.objects.select_for_update().filter(pk=user_id).first()
            if user is None:  # already purged through another of its addresses
                continue
            record = DeletionRecord.objects.get(subject_digest=subject_digest)
            purge_account(user=user, requested_on=record.requested_on, send_receipt=False)
            purged += 1
    return purged
