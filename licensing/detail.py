"""The rows of the license page (machines and history), prepared in Python.

The page's template only prints these rows: a ``{% url %}``, a date filter or a chain of
``{% if %}`` per row cost more than the rest of the page once a license has a few machines
and a history. The history is shown a page at a time (``HISTORY_PER_PAGE``, newest first),
so a license with years of check-in refusals costs what a new one costs.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from kalytera.prepared import PreparedLookup
from licensing.models import Activation, License, LicenseEvent

HISTORY_PER_PAGE = 50


def _events(license_id: int):
    return (
        LicenseEvent.objects.filter(license_id=license_id)
        .select_related("activation", "actor_user", "organization")
        .order_by("-created_at", "-id")
    )


# Machines deactivated longer ago are left to the history, which records every activation and
# deactivation: a license moved from machine to machine for years keeps a page of one size.
RELEASED_SHOWN = 10


def _machines(license_id: int):
    """Every active machine of the license and the most recently deactivated ones (one more, to tell)."""
    released = (
        Activation.objects.filter(license_id=license_id, is_active=False)
        .order_by(F("released_at").desc(nulls_last=True), "-first_seen_at")
        .values("pk")[: RELEASED_SHOWN + 1]
    )
    return Activation.objects.filter(license_id=license_id).filter(Q(is_active=True) | Q(pk__in=released))


# The queries every view of a license page runs, compiled once per process (kalytera.prepared).
_MACHINES = PreparedLookup(Activation, _machines, license_id=int)
_NEWEST_EVENTS = PreparedLookup(
    LicenseEvent, lambda license_id: _events(license_id)[: HISTORY_PER_PAGE + 1], license_id=int
)


def machines(license: License) -> tuple[list[Activation], bool]:
    """The machines the page lists, active ones first, newest first (``Activation.Meta.ordering``):
    every active machine and the ``RELEASED_SHOWN`` most recently deactivated; and whether
    machines deactivated before those are left out."""
    found = _MACHINES.all(license_id=license.pk)
    released = sorted(
        (a for a in found if not a.is_active),
        key=lambda a: (a.released_at is not None, a.released_at or a.first_seen_at, a.first_seen_at),
    )
    if len(released) <= RELEASED_SHOWN:
        return found, False
    oldest = released[0]
    return [a for a in found if a.pk != oldest.pk], True


# Stands for a machine's id in a URL reversed once per page; no machine has it (version 4 ids
# are random, this one is all zeros but for its version bits).
_MACHINE = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _minute(moment: datetime | None) -> str:
    return "" if moment is None else f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class MachineRow:
    activation: Activation
    name: str
    display_id: str
    version: str
    advisories: list
    first_seen: str
    last_seen: str
    offline: bool
    released_on: str  # when a deactivated machine was released
    certificate_url: str  # empty when the person may not download it here
    deactivate_url: str  # empty when the person may not deactivate it here


def machine_rows(
    license: License,
    activations: list[Activation],
    *,
    offline: set[int],
    advisories: dict[int, list],
    can: set[str] | frozenset[str],
    moves_left: int,
    stopped: bool,
) -> list[MachineRow]:
    """One row per machine, with the links the person may follow (reversed once, not per machine)."""
    certificate = deactivate = ""
    if not stopped and "CERTIFICATE" in can:
        certificate = reverse(
            "licensing:certificate", kwargs={"license_id": license.public_id, "activation_id": _MACHINE}
        )
        if moves_left and "MANAGE_MACHINES" in can:
            deactivate = reverse(
                "licensing:deactivate", kwargs={"license_id": license.public_id, "activation_id": _MACHINE}
            )
    placeholder = str(_MACHINE)
    rows = []
    for activation in activations:
        machine = str(activation.public_id)
        active = activation.is_active
        rows.append(
            MachineRow(
                activation=activation,
                name=str(activation),
                display_id=activation.display_id,
                version=activation.product_version or "—",
                advisories=advisories.get(activation.pk, []),
                first_seen=_minute(activation.first_seen_at),
                last_seen=_minute(activation.last_seen_at),
                offline=activation.pk in offline,
                released_on=f"{timezone.localtime(activation.released_at):%Y-%m-%d}"
                if activation.released_at
                else "",
                certificate_url=certificate.replace(placeholder, machine) if active else "",
                deactivate_url=deactivate.replace(placeholder, machine) if active else "",
            )
        )
    return rows


@dataclass(frozen=True)
class HistoryLine:
    at: str  # ISO 8601, for <time datetime>
    at_minute: str
    text: str


def history_page(license: License, number: int) -> tuple[list[LicenseEvent], bool]:
    """Page ``number`` (from 1) of the license's events, newest first, and whether older ones follow."""
    if number == 1:
        events = _NEWEST_EVENTS.all(license_id=license.pk)
    else:
        start = (number - 1) * HISTORY_PER_PAGE
        events = list(_events(license.pk)[start : start + HISTORY_PER_PAGE + 1])
    return events[:HISTORY_PER_PAGE], len(events) > HISTORY_PER_PAGE


def history_lines(license: License, events: list[LicenseEvent]) -> list[HistoryLine]:
    return [
        HistoryLine(
            at=timezone.localtime(event.created_at).isoformat(),
            at_minute=_minute(event.created_at),
            text=describe(event, license),
        )
        for event in events
    ]


# The labels of the choices, looked up once (``get_kind_display`` builds its mapping per call).
_KINDS = dict(LicenseEvent.Kind.choices)
_ACTORS = dict(LicenseEvent.Actor.choices)


def _by(event: LicenseEvent, license: License) -> str:
    """Who did it: the person (or, for another organization's member, only which organization)."""
    if event.actor == LicenseEvent.Actor.CUSTOMER and event.actor_user is not None:
        if event.organization is not None and event.organization_id != license.organization_id:
            return f"a member of {event.organization}"
        return event.actor_user.email + (f" for {event.organization}" if event.organization else "")
    return _ACTORS.get(event.actor, event.actor).lower()


def describe(event: LicenseEvent, license: License) -> str:
    """One line of the history, as the customer reads it (plain text; the template escapes it)."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    kind = event.kind
    Kind = LicenseEvent.Kind
    text = _KINDS.get(kind, kind)
    if event.activation is not None:
        text += f" ({event.activation})"
    text += f", by {_by(event, license)}"
    if detail.get("matched"):
        text += f": {detail['matched']} of {detail.get('of', '')} hardware parts recognised"
    elif detail.get("code"):
        text += f": {detail['code']}"
    elif detail.get("integrator"):
        text += f": {detail['integrator']}, {detail.get('scope', '')}"
        if detail.get("previous_scope"):
            text += f" (was {detail['previous_scope']})"
    elif detail.get("stage"):
        text += f": {detail['stage']}"
    elif detail.get("reason") and kind in (Kind.SUSPENDED, Kind.REVOKED):
        text += f": {detail['reason']}"
    if kind == Kind.TRANSFERRED_OUT:
        text += f": to {detail.get('to', '')}"
    elif kind == Kind.TRANSFERRED_IN:
        text += f": from {detail.get('origin', '')}"
        if detail.get("reason"):
            text += f" ({detail['reason']})"
    return text
