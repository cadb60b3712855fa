"""Machine API v1: translates HTTP to the licensing services and back (contract: ``licensing.openapi``).

Every answer is JSON with ``server_time`` and the request's ``nonce``; every failure is an
error object with a stable code, whatever the input. The license key travels only in the
body, is never logged, and reaches the rate limiter and the database only as a keyed hash.
"""

import json
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from kalytera import envelope, ratelimit, uploads
from kalytera.client_address import rate_limit_key
from licensing import certificates, keys, openapi, releases, security, services
from licensing.certificates import IssuedDocument
from licensing.models import Activation, License

Body = dict


def _date(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _license_json(license: License) -> dict:
    return {
        "id": str(license.public_id),
        "plan": license.plan.code,
        "kind": license.kind,
        "status": license.status,
        "channels": license.channels,
        "features": list(license.plan.features),
        "max_machines": license.max_machines,
        "expires_at": envelope.timestamp(license.expires_at),
        "grace_ends_at": envelope.timestamp(license.grace_ends_at),
        "upgrade_plan_until": _date(license.upgrade_plan_until),
        "grace_days": license.plan.grace_days,
        "offline_validity_days": license.plan.offline_validity_days,
    }


def _activation_json(activation: Activation) -> dict:
    return {
        "id": str(activation.public_id),
        "name": activation.label,
        "product_version": activation.product_version,
        "status": "active" if activation.is_active else "released",
        "first_seen_at": envelope.timestamp(activation.first_seen_at),
        "last_seen_at": envelope.timestamp(activation.last_seen_at),
    }


def _document_json(document: IssuedDocument | None) -> dict | None:
    if document is None:
        return None
    return {
        "id": document.document_id,
        "kid": document.kid,
        "issued_at": envelope.timestamp(document.issued_at),
        "armored": document.armored,
    }


def _newest_release_json(license: License | None) -> dict | None:
    """The newest published release ``license`` covers, for the VMS's "update available"."""
    release = releases.newest_covered(license, timezone.now()) if license is not None else None
    if release is None:
        return None
    return {
        "version": release.version,
        "released_on": release.released_on.isoformat(),
        "notes_url": settings.SITE_URL + release.get_absolute_url(),
    }


def rate_limited(checks: list[tuple[str, str, str]], nonce: str | None) -> JsonResponse | None:
    """The RATE_LIMITED answer if any of ``checks`` is over its rate (counted in one round trip)."""
    decision = ratelimit.hit_all(checks)
    if decision.allowed:
        return None
    return openapi.error_answer(
        "RATE_LIMITED",
        f"Too many requests; try again in {decision.retry_after} seconds.",
        nonce=nonce,
        headers={"Retry-After": str(decision.retry_after)},
    )


def _address_limit(request: HttpRequest) -> tuple[str, str, str]:
    return ("licensing-api-address", rate_limit_key(request), settings.LICENSING_API_RATE_PER_ADDRESS)


def _json_endpoint(schema: dict, handler: Callable[[Body, str | None], JsonResponse]):
    """A POST endpoint taking a JSON body checked against ``schema``; the checks run cheapest first."""

    @csrf_exempt
    @sensitive_variables("body", "display")
    def view(request: HttpRequest) -> JsonResponse:
        if request.method != "POST":
            return openapi.error_answer(
                "METHOD_NOT_ALLOWED", "Use POST with a JSON body.", headers={"Allow": "POST"}
            )
        body = _read_json(request)
        if isinstance(body, JsonResponse):
            return body
        nonce = echoed_nonce(body.get("nonce") if isinstance(body, dict) else None)
        problems = openapi.check_body(schema, body)
        display, key_problem = (None, "") if problems else _readable_key(body["license_key"])
        limited = rate_limited(_limits(request, display), nonce)
        if limited:
            return limited
        if problems:
            code = openapi.error_code(problems)
            return openapi.error_answer(
                code, "Some fields are missing or wrong.", nonce=nonce, fields=problems
            )
        if key_problem:
            fields = {"license_key": key_problem}
            return openapi.error_answer("INVALID_LICENSE_KEY", key_problem, nonce=nonce, fields=fields)
        try:
            return handler({**body, "license_key": display}, nonce)
        except services.LicensingError as exc:
            return openapi.error_answer(exc.code, exc.message, nonce=nonce)

    return view


@sensitive_variables("raw")
def _read_json(request: HttpRequest) -> Body | JsonResponse:
    """The request's body parsed as JSON (any JSON value), or the error to answer instead."""
    limit = settings.LICENSING_API_MAX_BODY_BYTES
    too_large = f"The body may be at most {limit} bytes."
    if uploads.declared_length(request) > limit:
        return openapi.error_answer("PAYLOAD_TOO_LARGE", too_large)
    if (request.content_type or "").lower() != "application/json":
        return openapi.error_answer(
            "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON with Content-Type: application/json."
        )
    try:
        raw = request.read(limit + 1)  # never more than the limit, whatever the header claimed
    except OSError:
        return openapi.error_answer("INVALID_REQUEST", "The body could not be read completely.")
    if len(raw) > limit:
        return openapi.error_answer("PAYLOAD_TOO_LARGE", too_large)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return openapi.error_answer("INVALID_REQUEST", "The body is not valid JSON (UTF-8).")


@sensitive_variables("text")
def _readable_key(text: str) -> tuple[str | None, str]:
    """The key in display form, or ``None`` and what is wrong with it."""
    try:
        return keys.normalize(text), ""
    except keys.KeyFormatError as exc:
        return None, str(exc)


def _limits(request: HttpRequest, display: str | None) -> list[tuple[str, str, str]]:
    """The rate limits per address and, once the key is readable, per license.

    They are counted together in one cache round trip, before any database work.
    """
    limits = [_address_limit(request)]
    if display:
        limits.append(
            ("licensing-api-license", keys.lookup_hash(display), settings.LICENSING_API_RATE_PER_LICENSE)
        )
    return limits


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def echoed_nonce(value) -> str | None:
    """The nonce to echo: only a well-formed one, so that every answer matches its schema."""
    if isinstance(value, str) and not openapi.check_value(openapi.NONCE, value):
        return value
    return None


def _activate(body: Body, nonce: str | None) -> JsonResponse:
    result = services.activate_machine(
        key=body["license_key"],
        fingerprint=body["fingerprint"],
        components=body.get("components") or [],
        label=body.get("name", ""),
        product_version=body.get("product_version", ""),
    )
    return envelope.answer(
        {
            "outcome": result.outcome,
            "activation": _activation_json(result.activation),
            "license": _license_json(result.license),
            "certificate": _document_json(result.certificate),
        },
        status=201 if result.outcome == "created" else 200,
        nonce=nonce,
    )


def _validate(body: Body, nonce: str | None) -> JsonResponse:
    result = services.validate(
        key=body["license_key"],
        fingerprint=body["fingerprint"],
        components=body.get("components") or [],
        product_version=body.get("product_version", ""),
        usage=body.get("usage"),
    )
    return envelope.answer(
        {
            "valid": result.valid,
            "code": result.code,
            "message": result.message,
            "license": _license_json(result.license) if result.license else None,
            "activation": _activation_json(result.activation) if result.activation else None,
            "certificate": _document_json(result.certificate),
            "newest_release": _newest_release_json(result.license),
            "advisories": _advisories_json(result, body.get("product_version", "")),
        },
        nonce=nonce,
    )


def _advisories_json(result: services.ValidationResult, reported: str) -> list[dict]:
    """The published security advisories that affect the version the machine runs."""
    if result.license is None:
        return []
    version = reported or (result.activation.product_version if result.activation else "")
    found = security.advisories_by_version(result.license.plan.product_id, [version])
    return [item.as_api() for item in found.get(version, [])]


def _deactivate(body: Body, nonce: str | None) -> JsonResponse:
    result = services.deactivate_machine(key=body["license_key"], fingerprint=body["fingerprint"])
    return envelope.answer(
        {"activation": _activation_json(result.activation), "receipt": _document_json(result.receipt)},
        nonce=nonce,
    )


activations = _json_endpoint(openapi.ACTIVATION_REQUEST, _activate)
validate = _json_endpoint(openapi.VALIDATE_REQUEST, _validate)
deactivate = _json_endpoint(openapi.DEACTIVATE_REQUEST, _deactivate)


@csrf_exempt
def signing_keys(request: HttpRequest) -> JsonResponse:
    nonce = echoed_nonce(request.GET.get("nonce"))
    if request.method not in ("GET", "HEAD"):
        return openapi.error_answer(
            "METHOD_NOT_ALLOWED", "Use GET.", nonce=nonce, headers={"Allow": "GET, HEAD"}
        )
    if "nonce" in request.GET and nonce is None:
        fields = {"nonce": openapi.check_value(openapi.NONCE, request.GET["nonce"])}
        return openapi.error_answer(openapi.error_code(fields), "The nonce is malformed.", fields=fields)
    limited = rate_limited([_address_limit(request)], nonce)
    if limited:
        return limited
    return envelope.answer({"keys": certificates.published_signing_keys()}, nonce=nonce)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return openapi.error_answer("NOT_FOUND", "No such endpoint; see /api/v1/openapi.json.")
