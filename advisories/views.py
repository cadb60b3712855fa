"""Public advisory pages and the CSAF provider layout under /.well-known/csaf/."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from advisories import csaf
from advisories.models import Advisory, AdvisoryRevision


def _published():
    return (
        Advisory.objects.filter(current__isnull=False)
        .select_related("current", "product")
        .order_by("-identifier")
    )


def revision_page_context(revision: AdvisoryRevision, *, preview: bool = False) -> dict:
    advisory = revision.advisory
    history = list(advisory.revisions.filter(published_at__isnull=False).order_by("-number"))
    return {
        "advisory": advisory,
        "revision": revision,
        "history": history,
        "preview": preview,
        "csaf_url": csaf.document_url(advisory) if advisory.current_id else "",
    }


@require_GET
def advisory_list(request: HttpRequest) -> HttpResponse:
    return render(request, "advisories/list.html", {"advisories": list(_published())})


@require_GET
def advisory_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    advisory = get_object_or_404(_published(), identifier=identifier)
    assert advisory.current is not None
    return render(request, "advisories/detail.html", revision_page_context(advisory.current))


def _text(content: str, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    return HttpResponse(content, content_type=content_type)


@require_GET
def provider_metadata(request: HttpRequest) -> JsonResponse:
    return JsonResponse(csaf.provider_metadata(list(_published())), json_dumps_params={"indent": 2})


@require_GET
def csaf_directory(request: HttpRequest) -> HttpResponse:
    return render(request, "advisories/csaf_directory.html", {"advisories": list(_published())})


@require_GET
def csaf_index(request: HttpRequest) -> HttpResponse:
    return _text(csaf.index_txt(list(_published())))


@require_GET
def csaf_changes(request: HttpRequest) -> HttpResponse:
    return _text(csaf.changes_csv(list(_published())), "text/csv; charset=utf-8")


@require_GET
def csaf_document(request: HttpRequest, year: int, filename: str) -> HttpResponse:
    """``ksa-2027-001.json`` and its ``.sha256`` / ``.sha512`` files."""
    base, _, hash_kind = filename.partition(".json")
    hash_kind = hash_kind.lstrip(".")
    if hash_kind not in ("", "sha256", "sha512"):
        raise Http404
    advisory = get_object_or_404(_published(), identifier=base.upper())
    if advisory.year != year or advisory.csaf_filename != f"{base}.json":
        raise Http404
    content = csaf.render(csaf.document(advisory))
    if hash_kind:
        return _text(csaf.digest(content, hash_kind, advisory.csaf_filename))
    return HttpResponse(content, content_type="application/json")
