"""Organization API v1: read-only JSON about one organization's licenses, for integrators' systems.

A token made by an owner (``organizations.api_tokens``) authenticates each request as
``Authorization: Bearer kal_org_…`` and names the organization; which licenses it sees is
``licensing.access.licenses_held_by``. Answers use the Machine API's envelope and error
codes (contract: ``licensing.openapi``); requests are limited per address before the token
is looked up, then per token.
"""

import uuid

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from kalytera import envelope
from kalytera.client_address import rate_limit_key
from licensing import openapi, standing
from licensing.access import licenses_held_by
from licensing.api import echoed_nonce, rate_limited
from licensing.models import Activation, License
from organizations import api_tokens
from organizations.models import ApiToken

PER_PAGE = 50
MAX_PER_PAGE = 200


def _license_json(license: License, now) -> dict:
    return {
        "id": str(license.public_id),
        "reference": license.reference,
        "product": license.plan.product.name,
        "plan": license.plan.code,
        "plan_name": license.plan.name,
        "kind": license.kind,
        "status": license.status,
        "runtime_state": license.runtime_state(now),
        "channels": license.channels,
        "max_machines": license.max_machines,
        "expires_at": envelope.timestamp(license.expires_at),
        "grace_ends_at": envelope.timestamp(license.grace_ends_at),
        "upgrade_plan_until": license.upgrade_plan_until.isoformat() if license.upgrade_plan_until else None,
        "machines": [
            {
                "id": str(machine.public_id),
                "label": machine.label,
                "product_version": machine.product_version,
                "last_check_in_at": envelope.timestamp(machine.last_seen_at),
                "offline": standing.is_offline(machine, license.plan, now),
            }
            for machine in license.active_machines  # type: ignore[attr-defined]  # prefetched below
        ],
    }


def _licenses(organization) -> QuerySet[License]:
    machines = Activation.objects.filter(is_active=True).order_by("first_seen_at", "pk")
    return (
        licenses_held_by(organization)
        .select_related("plan__product")
        .prefetch_related(Prefetch("activations", queryset=machines, to_attr="active_machines"))
        .order_by("-created_at", "-pk")
    )


def _authenticated(request: HttpRequest, nonce: str | None) -> ApiToken | JsonResponse:
    """The request's token, or the answer refusing it (the checks run cheapest first)."""
    if request.method not in ("GET", "HEAD"):
        return openapi.error_answer(
            "METHOD_NOT_ALLOWED", "Use GET.", nonce=nonce, headers={"Allow": "GET, HEAD"}
        )
    address = (
        "organization-api-address",
        rate_limit_key(request),
        settings.ORGANIZATION_API_RATE_PER_ADDRESS,
    )
    limited = rate_limited([address], nonce)
    if limited:
        return limited
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = api_tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return openapi.error_answer(
            "UNAUTHORIZED",
            "Send a live organization token: Authorization: Bearer kal_org_… (owners make them "
            "on the organization page).",
            nonce=nonce,
            headers={"WWW-Authenticate": 'Bearer realm="organization-api"'},
        )
    per_token = ("organization-api-token", str(token.pk), settings.ORGANIZATION_API_RATE_PER_TOKEN)
    return rate_limited([per_token], nonce) or token


def _query(request: HttpRequest, names: tuple[str, ...]) -> tuple[dict, dict[str, str]]:
    """The query's values by the contract (``openapi.ORG_QUERY``), and what is wrong with them."""
    values: dict = {}
    problems: dict[str, str] = {}
    for name in ("nonce", *names):
        spec = openapi.ORG_QUERY.get(name, openapi.NONCE)
        if name not in request.GET:
            continue
        raw = request.GET[name]
        value: object = raw
        if spec["type"] == "integer":
            value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
            if value is None:
                problems[name] = "Must be a whole number."
                continue
        problem = openapi.check_value(spec, value)
        if problem:
            problems[name] = problem
        else:
            values[name] = value
    return values, problems


def _wrong_query(problems: dict[str, str], nonce: str | None) -> JsonResponse:
    code = openapi.error_code(problems)
    return openapi.error_answer(code, "Some query parameters are wrong.", nonce=nonce, fields=problems)


def _nonce(request: HttpRequest) -> str | None:
    return echoed_nonce(request.GET.get("nonce"))


@csrf_exempt
def licenses(request: HttpRequest) -> JsonResponse:
    nonce = _nonce(request)
    token = _authenticated(request, nonce)
    if isinstance(token, JsonResponse):
        return token
    values, problems = _query(request, ("page", "per_page"))
    if problems:
        return _wrong_query(problems, nonce)
    per_page = values.get("per_page", PER_PAGE)
    paginator = Paginator(_licenses(token.organization), per_page)
    number = values.get("page", 1)
    if number > max(paginator.num_pages, 1):
        fields = {"page": f"There are {paginator.num_pages} pages."}
        return openapi.error_answer("INVALID_REQUEST", "No such page.", nonce=nonce, fields=fields)
    page = paginator.page(number)
    now = timezone.now()
    return envelope.answer(
        {
            "organization": {"id": str(token.organization.public_id), "name": token.organization.name},
            "licenses": [_license_json(license, now) for license in page],
            "page": number,
            "per_page": per_page,
            "total": paginator.count,
            "next_page": number + 1 if page.has_next() else None,
        },
        nonce=nonce,
    )


@csrf_exempt
def license_detail(request: HttpRequest, license_id: str) -> JsonResponse:
    nonce = _nonce(request)
    token = _authenticated(request, nonce)
    if isinstance(token, JsonResponse):
        return token
    _values, problems = _query(request, ())
    if problems:
        return _wrong_query(problems, nonce)
    public_id = _uuid(license_id)
    license = _licenses(token.organization).filter(public_id=public_id).first() if public_id else None
    if license is None:
        return openapi.error_answer(
            "UNKNOWN_LICENSE", "This organization's token sees no license with this id.", nonce=nonce
        )
    return envelope.answer({"license": _license_json(license, timezone.now())}, nonce=nonce)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
