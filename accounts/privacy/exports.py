"""Access and portability: the privacy center's "Your data" page and data exports.

The "Your data" page and the JSON export are both built by ``build_report`` from the
personal-data registry, so what a person sees and what they download cannot differ.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.tasks import task
from django.utils import timezone

from accounts import security_events
from accounts.models import DataExport, SecurityEvent, User
from kalytera import personal_data
from kalytera.errors import DomainError
from outbox.services import queue_email

EXPORT_FORMAT = "kalytera-personal-data/1"
ACRONYMS = {"ip": "IP", "url": "URL", "id": "ID", "vms": "VMS"}
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


class ExportLimitReached(DomainError):
    """Stable code: ``export_limit``. One export a day per account."""


@dataclass(frozen=True)
class SectionReport:
    key: str
    title: str
    explanation: str
    kept_after_deletion: str
    rows: list[dict]

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    @property
    def headers(self) -> list[str]:
        return [_label(column) for column in self.columns]

    @property
    def cells(self) -> list[list[str]]:
        """The rows as text for the page, in column order."""
        columns = self.columns
        return [[as_text(row.get(column)) for column in columns] for row in self.rows]

    @property
    def wide(self) -> bool:
        """Too many columns for a table that fits a page: shown as one card per row instead."""
        return len(self.columns) > WIDEST_TABLE

    @property
    def labelled_cells(self) -> list[list[tuple[str, str]]]:
        """The table's rows with each cell's column label (a phone shows it beside the value)."""
        return [list(zip(self.headers, cells, strict=True)) for cells in self.cells]

    @property
    def records(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Each row as a card: its kind (when a section mixes kinds) and its own fields as
        (label, text) pairs, so a machine's card does not list a license's empty fields."""
        return [
            (
                as_text(row["kind"]) if "kind" in row else "",
                [(_label(key), as_text(value)) for key, value in row.items() if key != "kind"],
            )
            for row in self.rows
        ]


# More columns than this do not fit a 1280 px page (and no phone): rows become cards.
WIDEST_TABLE = 4


def _label(column: str) -> str:
    words = [ACRONYMS.get(word, word) for word in column.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def as_text(value) -> str:
    """A value of an exported row as the page shows it."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(as_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {as_text(item)}" for key, item in value.items())
    if isinstance(value, str) and ISO_TIMESTAMP.match(value):
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def build_report(user: User) -> list[SectionReport]:
    """Everything the platform holds about ``user``, section by section (the one source)."""
    return [
        SectionReport(
            key=section.key,
            title=section.title,
            explanation=section.explanation,
            kept_after_deletion=section.kept_after_deletion,
            rows=section.collect(user),
        )
        for section in personal_data.sections()
    ]


def report_as_json(user: User) -> str:
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "sections": [
            {
                "key": report.key,
                "title": report.title,
                "explanation": report.explanation,
                "kept_after_deletion": report.kept_after_deletion,
                "rows": report.rows,
            }
            for report in build_report(user)
        ],
    }
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def estimated_rows(user: User) -> int:
    """Rows linked to ``user`` by a foreign key, over every registered model (cheap counts)."""
    user_model = type(user)
    total = 0
    for model in personal_data.covered_models():
        if model is user_model:
            total += 1
            continue
        links = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, models.ForeignKey) and field.related_model is user_model
        ]
        if links:
            query = models.Q()
            for name in links:
                query |= models.Q(**{name: user})
            total += model._default_manager.filter(query).count()
    return total


@transaction.atomic
def request_export(*, user: User, request: HttpRequest | None = None) -> DataExport:
    """Start a data export; small ones are ready at once, large ones are built by a task.

    Raises ``ExportLimitReached`` when one was requested today already: the unique
    constraint on (user, day) decides, so two requests at the same moment make one export.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            export = DataExport.objects.create(
                user=user,
                requested_at=now,
                requested_on=now.date(),
                expires_at=now + timedelta(days=settings.PRIVACY_EXPORT_VALID_DAYS),
            )
    except IntegrityError:
        raise ExportLimitReached(
            "export_limit", "You can request one copy of your data a day. Your latest copy is listed below."
        ) from None
    security_events.record(user=user, kind=SecurityEvent.Kind.DATA_EXPORT_REQUESTED, request=request)
    if estimated_rows(user) <= settings.PRIVACY_EXPORT_INLINE_MAX_ROWS:
        build_export(export_id=export.pk, notify=False)
        export.refresh_from_db()
    else:
        transaction.on_commit(partial(build_data_export.enqueue, export.pk), robust=True)
    return export


@transaction.atomic
def build_export(*, export_id: int, notify: bool) -> bool:
    """Fill in a pending export. Idempotent: an export already built is left alone."""
    export = (
        DataExport.objects.select_for_update()
        .select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:
        return False
    export.content = report_as_json(export.user)
    export.size_bytes = len(export.content.encode())
    export.status = DataExport.Status.READY
    export.ready_at = timezone.now()
    export.save(update_fields=["content", "size_bytes", "status", "ready_at"])
    if notify:
        queue_email(
            to=[export.user.email],
            template="privacy_export_ready",
            context={"export": export, "valid_days": settings.PRIVACY_EXPORT_VALID_DAYS},
            category="account",
            user=export.user,
        )
    return True


@task()
def build_data_export(export_id: int) -> bool:
    return build_export(export_id=export_id, notify=True)


# A large export's task can be lost with its worker (killed during a database outage, say):
# the export would stay "Being prepared" and the one-a-day limit would refuse a new one.
# An export still pending this long after it was asked for is built again.
STALLED_AFTER = timedelta(minutes=15)


def resume_stalled_exports() -> int:
    """Enqueue the build of every export pending for ``STALLED_AFTER``; returns how many.

    A build that is merely slow is enqueued once more too: ``build_export`` builds each
    export once, so the extra task finds it done and changes nothing.
    """
    stalled = list(
        DataExport.objects.filter(
            status=DataExport.Status.PENDING, requested_at__lte=timezone.now() - STALLED_AFTER
        ).values_list("pk", flat=True)
    )
    for export_id in stalled:
        build_data_export.enqueue(export_id)
    return len(stalled)


def exports_of(user: User) -> list[DataExport]:
    return list(DataExport.objects.filter(user=user).defer("content").order_by("-requested_at"))


def purge_expired_exports() -> int:
    """Delete the copies whose download period is over."""
    deleted, _ = DataExport.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
