import logging
import sys
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kalytera import envelope
from kalytera.cache import CacheUnavailable
from kalytera.errors import ExplainedRefusal

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "kalytera/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Which dependency is down: 503 without the database, 200 "degraded" without the cache.

    Without Redis the platform still answers (the Machine API, the pages; logins are
    refused), so a load balancer must keep sending traffic: taking every server out of
    rotation would turn a degraded site into a dead one. Monitoring reads ``down``.
    """
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    down = [name for name, ok in checks.items() if not ok]
    status = "unavailable" if not checks["database"] else "degraded" if down else "ok"
    return JsonResponse(
        {"status": status, "checks": checks, "down": down},
        status=503 if status == "unavailable" else 200,
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: database unavailable")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "ok", timeout=10)
        return cache.get("healthz") == "ok"
    except CacheUnavailable:
        logger.warning("Health check: cache unavailable")
        return False
    except Exception:
        logger.exception("Health check: cache unavailable")
        return False


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116. ``Expires`` rolls forward so the file never goes stale."""
    expires = (timezone.now() + timedelta(days=settings.SECURITY_TXT_LIFETIME_DAYS)).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_CONTACTS]
    lines += [
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Policy: {settings.SITE_URL}{settings.SECURITY_POLICY_PATH}",
        f"CSAF: {settings.SITE_URL}{settings.SECURITY_TXT_CSAF_PATH}",
        "Preferred-Languages: en",
        f"Canonical: {settings.SITE_URL}/.well-known/security.txt",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# Under /api/ the error handlers answer the API's JSON envelope: a VMS parses every answer.


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if envelope.is_api(request):
        return envelope.error("INVALID_REQUEST", "The request is malformed.", 400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if envelope.is_api(request):
        return envelope.error("FORBIDDEN", "The request was refused.", 403)
    reason = exception.message if isinstance(exception, ExplainedRefusal) else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason stays in the log: it helps operators, not visitors.
    logger.warning("CSRF check failed: %s", reason)
    if envelope.is_api(request):
        return envelope.error("FORBIDDEN", "The request was refused.", 403)
    return render(request, "errors/403_csrf.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if envelope.is_api(request):
        return envelope.error("NOT_FOUND", "No such endpoint; see /api/v1/openapi.json.", 404)
    return render(request, "errors/404.html", status=404)


UNAVAILABLE_MESSAGE = (
    "The service lost its database while answering; the change may or may not have been made. "
    "Retry the same request after the Retry-After seconds."
)
CACHE_UNAVAILABLE_MESSAGE = (
    "The service is briefly unavailable (its cache does not answer). "
    "Retry the same request after the Retry-After seconds."
)
# Seconds a client is asked to wait when the database is unreachable (a restart or fail-over).
DATABASE_RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with ``Retry-After`` when the database or Redis is unreachable.

    Django calls this handler inside its ``except`` block, for failures in views and in
    middleware alike, so the exception being handled says whether the cause is a lost
    database connection: that is temporary, and clients (VMS servers above all) should
    retry rather than treat it as a fault. JSON under ``/api/``, as the API speaks.
    """
    failure = sys.exc_info()[1]
    if isinstance(failure, CacheUnavailable):
        return cache_unavailable(request)
    if not isinstance(failure, (OperationalError, InterfaceError)):
        if envelope.is_api(request):
            return envelope.error("INTERNAL_ERROR", "An unexpected fault occurred; retry later.", 500)
        return HttpResponse(get_template("errors/500.html").render(), status=500)
    return _unavailable(request, "errors/503.html", DATABASE_RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE)


def cache_unavailable(request: HttpRequest) -> HttpResponse:
    """503 for what must not run without Redis (the login above all; see the README)."""
    return _unavailable(
        request, "errors/503_cache.html", settings.REDIS_DOWN_SECONDS, CACHE_UNAVAILABLE_MESSAGE
    )


def _unavailable(request: HttpRequest, template: str, retry_after: float, api_message: str) -> HttpResponse:
    # No context processors: the failure may lie in what they touch (database, session).
    if envelope.is_api(request):
        # The API's changes are idempotent for the same request, so a retry is always safe.
        response: HttpResponse = envelope.error("UNAVAILABLE", api_message, 503)
    else:
        response = HttpResponse(get_template(template).render(), status=503)
    response["Retry-After"] = str(max(1, round(retry_after)))
    return response


def too_many_requests(request: HttpRequest, exception=None) -> HttpResponse:
    if envelope.is_api(request):
        return envelope.error("RATE_LIMITED", "Too many requests; retry later.", 429)
    return render(request, "errors/429.html", status=429)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for ``/favicon.ico`` on pages that name no icon (the staff admin's)."""
    return redirect(static("img/favicon.svg"), permanent=True)


def too_many(
    request: HttpRequest, template: str, context: dict, *, form, decision, what: str
) -> HttpResponse:
    """A form's page again with status 429, saying when ``what`` (e.g. "invitations") may be sent again."""
    form.add_error(None, f"Too many {what}; try again in {decision.retry_after} seconds.")
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response
