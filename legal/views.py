"""Public policy pages, the archive, comparisons, feeds, and the acceptance flow."""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kalytera.cache import keep, kept
from legal import services
from legal.diff import compare as compare_texts
from legal.forms import AcceptForm, CompareForm
from legal.markdown import render_markdown
from legal.models import Acceptance, ChangeNotice, Policy, PolicyVersion


def _policy(slug: str) -> Policy:
    return get_object_or_404(Policy, slug=slug)


def _released(policy: Policy) -> list[PolicyVersion]:
    return list(policy.versions.released().order_by("-number"))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    if url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure()):
        return target
    return fallback


def policy_page_context(
    version: PolicyVersion,
    *,
    preview: bool = False,
    in_force: bool | None = None,
    upcoming: list[PolicyVersion] | None = None,
) -> dict:
    """What the policy page shows for ``version``; the admin preview uses the same.

    ``in_force`` and ``upcoming`` when the caller has them already (the cached page).
    """
    policy = version.policy
    now = timezone.now()
    if upcoming is None:
        upcoming = [] if preview else _material_upcoming(policy, now)
    if in_force is None:
        in_force = version.is_in_effect(now) and policy.version_in_force(now) == version
    return {
        "policy": policy,
        "version": version,
        "body": render_markdown(version.body),
        "upcoming": upcoming,
        "preview": preview,
        "is_current": preview or in_force,
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    policies = [(policy, policy.version_in_force()) for policy in Policy.objects.all()]
    return render(request, "legal/index.html", {"policies": [(p, v) for p, v in policies if v]})


def _material_upcoming(policy: Policy, now) -> list[PolicyVersion]:
    # The notices show titles and dates only: the bodies (the bulk of each row) stay behind.
    return [v for v in policy.upcoming_versions(now).defer("body") if v.material]


def _page_in_force(slug: str) -> tuple[PolicyVersion, list[PolicyVersion], int]:
    """The version in force, the announced material changes and how long both hold.

    Kept in the shared cache, so that the most visited page of the site costs no query.
    An entry lives at most ``POLICY_PAGE_CACHE_SECONDS`` and never past the moment the
    next version takes effect; publishing or withdrawing a version drops it at once.
    """
    key = services.policy_page_cache_key(slug)
    cached = kept(key)
    if cached is not None:
        return cached
    policy = _policy(slug)
    now = timezone.now()
    version = policy.version_in_force(now)
    if version is None:
        raise Http404("This policy has no published version yet.")
    lifetime = float(services.POLICY_PAGE_CACHE_SECONDS)
    following = policy.upcoming_versions(now).values_list("effective_at", flat=True).first()
    if following is not None:
        lifetime = min(lifetime, (following - now).total_seconds())
    page = (version, _material_upcoming(policy, now), int(lifetime))
    if page[2] >= 1:
        keep(key, page, page[2])
    return page


@require_GET
def policy_page(request: HttpRequest, slug: str) -> HttpResponse:
    version, upcoming, lifetime = _page_in_force(slug)
    context = policy_page_context(version, in_force=True, upcoming=upcoming)
    if settings.SESSION_COOKIE_NAME in request.COOKIES or lifetime < 1:
        return render(request, "legal/policy.html", context)
    # Without a session the page is the same for every visitor (no form, no message, no
    # name): rendered once, kept as long as the versions it shows.
    shown = "-".join(str(v.pk) for v in [version, *upcoming])
    key = f"{services.policy_page_cache_key(slug)}:html:{shown}"
    html = kept(key)
    if html is None:
        html = render_to_string("legal/policy.html", context, request=request)
        keep(key, html, lifetime)
    return HttpResponse(html)


@require_GET
def version_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    policy = _policy(slug)
    version = get_object_or_404(policy.versions.released().select_related("policy"), number=number)
    return render(request, "legal/policy.html", policy_page_context(version))


@require_GET
def archive(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    versions = _released(policy)
    if not versions:
        raise Http404("This policy has no published version yet.")
    current = policy.version_in_force()
    older = versions[1] if len(versions) > 1 else versions[0]
    form = CompareForm(versions=versions, initial={"old": older.number, "new": versions[0].number})
    return render(
        request,
        "legal/archive.html",
        {"policy": policy, "versions": versions, "current": current, "form": form, "now": timezone.now()},
    )


@require_GET
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    versions = _released(policy)
    if not request.GET:  # the page that offers the choice: nothing chosen is not a bad request
        form = CompareForm(versions=versions)
        return render(request, "legal/compare.html", {"policy": policy, "form": form})
    form = CompareForm(request.GET, versions=versions)
    if not form.is_valid():
        return render(request, "legal/compare.html", {"policy": policy, "form": form}, status=400)
    by_number = {v.number: v for v in versions}
    old, new = sorted((by_number[form.cleaned_data["old"]], by_number[form.cleaned_data["new"]]), key=_number)
    return render(
        request,
        "legal/compare.html",
        {
            "policy": policy,
            "form": form,
            "old": old,
            "new": new,
            "comparison": compare_texts(old.body, new.body),
        },
    )


def _number(version: PolicyVersion) -> int:
    assert version.number is not None  # only released versions are compared
    return version.number


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _version_status(version: PolicyVersion, current: PolicyVersion | None) -> str:
    if current is not None and version.pk == current.pk:
        return "in-force"
    return "scheduled" if not version.is_in_effect() else "superseded"


@require_GET
def versions_json(request: HttpRequest, slug: str) -> JsonResponse:
    policy = _policy(slug)
    current = policy.version_in_force()
    base = request.build_absolute_uri("/")[:-1]
    return JsonResponse(
        {
            "policy": policy.slug,
            "name": policy.name,
            "url": base + policy.get_absolute_url(),
            "current_version": current.number if current else None,
            "last_updated": _iso(current.effective_at) if current else None,
            "versions": [
                {
                    "number": v.number,
                    "title": v.title,
                    "status": _version_status(v, current),
                    "material": v.material,
                    "effective_at": _iso(v.effective_at),
                    "published_at": _iso(v.published_at),
                    "summary": v.summary,
                    "url": base + v.get_absolute_url(),
                }
                for v in _released(policy)
            ],
        },
        json_dumps_params={"indent": 2},
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    if not policy.requires_acceptance:
        raise Http404("This policy informs; it needs no acceptance.")
    version = policy.version_in_force()
    if version is None:
        raise Http404("This policy has no published version yet.")
    next_url = _safe_next(request, reverse("accounts:dashboard"))
    pending = services.pending_acceptance(user=request.user, policy=policy)
    form = AcceptForm(request.POST if request.method == "POST" else None, initial={"version": version.number})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != version.number:
            form.add_error(None, "A newer version took effect while you were reading. Please review it.")
        else:
            try:
                services.accept_version(user=request.user, version=version)
            except services.LegalError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"You accepted version {version.number} of the {policy.name}.")
                return redirect(next_url)
    # By id, as in history().
    accepted = Acceptance.objects.filter(user=request.user.pk, version=version).first()
    previous = policy.versions.released().filter(number__lt=version.number).order_by("-number").first()
    return render(
        request,
        "legal/accept.html",
        {
            "policy": policy,
            "version": version,
            "previous": previous,
            "pending": pending,
            "accepted": accepted,
            "form": form,
            "next": next_url,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def dismiss_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    try:
        services.dismiss_notice(user=request.user, notice_id=notice_id)
    except LookupError:
        raise Http404("No such notice.") from None
    messages.success(request, "Notice dismissed. Your policy history still lists it.")
    return redirect(_safe_next(request, reverse("accounts:dashboard")))


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    # By the user's id: the type checker cannot see the login check, and legal does not import
    # accounts (accounts imports legal).
    acceptances = Acceptance.objects.filter(user=request.user.pk).select_related("version__policy")
    notices = ChangeNotice.objects.filter(user=request.user.pk).select_related("version__policy")
    pending = [
        version
        for policy in Policy.objects.filter(requires_acceptance=True)
        if (version := services.pending_acceptance(user=request.user, policy=policy))
    ]
    return render(
        request, "legal/history.html", {"acceptances": acceptances, "notices": notices, "pending": pending}
    )
