"""The one shape of every answer under ``/api/``: the body plus ``server_time`` and ``nonce``.

Errors are ``{"error": {"code", "message"[, "fields"]}}`` in that envelope, whoever answers:
the Machine API's views, or the project's error handlers when a request fails before or
outside them (unknown path, wrong method, lost database, a fault). The codes and their
statuses are the API's contract (``licensing.openapi.ERROR_CODES``); this module only
builds the body, so that no answer can miss a field the contract requires.
"""

from datetime import UTC, datetime

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the Machine API, which answers JSON only."""
    return request.path.startswith(API_PREFIX)


def timestamp(moment: datetime | None) -> str | None:
    """The API's time format: UTC to the second, ``2026-01-31T12:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def answer(
    body: dict, *, status: int = 200, nonce: str | None = None, headers: dict | None = None
) -> JsonResponse:
    """``body`` with the server's clock and the request's nonce, never cached."""
    body = {**body, "server_time": timestamp(timezone.now()), "nonce": nonce}
    response = JsonResponse(body, status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    return response


def error(
    code: str,
    message: str,
    status: int,
    *,
    nonce: str | None = None,
    fields: dict[str, str] | None = None,
    headers: dict | None = None,
) -> JsonResponse:
    """An error answer: a stable ``code`` a program branches on, a ``message`` a person reads."""
    details: dict = {"code": code, "message": message}
    if fields:
        details["fields"] = fields
    return answer({"error": details}, status=status, nonce=nonce, headers=headers)
