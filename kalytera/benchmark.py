"""Reference endpoints for the benchmark harness (``bench/``): the stack's own ceiling.

Mounted only when ``BENCHMARK_ENDPOINTS`` is on, which no deployment sets: the harness
turns it on for the server it starts. One endpoint answers JSON without touching the
database; the other runs three primary-key queries, about the least a real page does.
Real endpoints are reported as a share of these, measured in the same run.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def bare_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@require_GET
def three_queries(request: HttpRequest) -> JsonResponse:
    found = [
        get_user_model().objects.filter(pk=1).values_list("pk", flat=True).first(),
        Session.objects.filter(pk="none").values_list("pk", flat=True).first(),
        ContentType.objects.filter(pk=1).values_list("pk", flat=True).first(),
    ]
    return JsonResponse({"ok": True, "found": sum(value is not None for value in found)})


urlpatterns = [
    path("json", bare_json, name="benchmark_json"),
    path("queries", three_queries, name="benchmark_queries"),
]
