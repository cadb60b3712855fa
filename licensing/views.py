"""The customer's license pages.

Every license is loaded through ``licensing.access.license_for`` with the action the page
performs: people outside its organization get 404, members whose role is not enough get a
403 that names the role needed.
"""

import base64
from datetime import datetime

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import F, Func, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from kalytera import ratelimit
from kalytera.downloads import attachment
from kalytera.prepared import PreparedLookup
from kalytera.views import too_many
from kalytera_client import offline
from licensing import detail, releases, security, services, standing
from licensing.access import license_for, licenses_in, reach
from licensing.forms import ClaimForm, OfflineRequestForm, TrialForm
from licensing.links import contact_url
from licensing.models import Activation, License, Plan
from licensing.services import Actor, LicensingError, reminders, transfers
from organizations.access import Action, allowed_actions, allows, organizations_allowing
from organizations.services import personal_organization


def _owned_activation(license: License, activation_id) -> Activation:
    return get_object_or_404(license.activations.all(), public_id=activation_id)


# Integrators hold hundreds of licenses; a page stays quick to render and to read.
LICENSES_PER_PAGE = 50


def _page_number(text: str | None) -> int:
    """A page number from the query string: 1 for anything that is not a positive number."""
    try:
        return min(max(1, int(text or 1)), MAX_PAGE_NUMBER)
    except ValueError:
        return 1


# Far beyond any real history, and small enough for the database's OFFSET.
MAX_PAGE_NUMBER = 1_000_000


def _slice(licenses: QuerySet[License], number: int) -> list[License]:
    return list(licenses[(number - 1) * LICENSES_PER_PAGE : number * LICENSES_PER_PAGE])


def _listed(organizations: list[int], licenses: list[int], now: datetime) -> QuerySet[License]:
    """The list's licenses, newest first, with their machines and (in each row) how many there are."""
    visible = licenses_in(organizations, licenses)
    # The count comes with the page: a subquery that needs neither the join nor the grouping.
    total = visible.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return (
        standing.with_machines(visible, now)
        .select_related("organization")
        .annotate(total=Subquery(total))
        .order_by("-created_at", "-id")
    )


# The first page, the one nearly every visit shows, is compiled once per process.
_FIRST_PAGE = PreparedLookup(
    License,
    lambda organizations, licenses, now: _listed(organizations, licenses, now)[:LICENSES_PER_PAGE],
    organizations=list,
    licenses=list,
    now=datetime,
)


@login_required
@require_GET
def license_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    reached = reach(request.user)  # one query: also the roles and whether they look after customers
    organizations, granted = sorted(reached.organizations), sorted(reached.licenses)
    now = timezone.now()
    number = _page_number(request.GET.get("page"))
    # The pages are read here; the paginator only counts pages, from the count read with them.
    paginator = Paginator(License.objects.none(), LICENSES_PER_PAGE)
    if number == 1:
        found = _FIRST_PAGE.all(organizations=organizations, licenses=granted, now=now)
    else:
        found = _slice(_listed(organizations, granted, now), number)
    if found:
        paginator.count = found[0].total  # type: ignore[attr-defined]  # the annotation above
    elif number == 1:
        paginator.count = 0
    else:  # past the last page: the last one, as Paginator.get_page does
        paginator.count = reached.licenses_visible().count()
        number = paginator.num_pages
        found = _slice(_listed(organizations, granted, now), number) if paginator.count else []
    page = Page(found, number, paginator)
    rows = standing.sites(found, now)
    roles = reached.roles
    # Name the organization of each license when they are not all the person's one organization.
    looks_after = reached.looks_after
    several = looks_after or len(roles) > 1
    # Owners choose licenses here to transfer them (a checkbox on each license they may give);
    # licenses an integrator looks after are never among them.
    on_page = {license.organization_id for license in found}
    transferable = {org for org, role in roles.items() if allows(role, Action.TRANSFER) and org in on_page}
    context = {
        "rows": rows,
        "page": page,
        "several": several,
        "transferable": transferable,
        "looks_after": looks_after,
    }
    return render(request, "licensing/license_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: AuthenticatedHttpRequest) -> HttpResponse:
    personal_organization(user=request.user)  # accounts from before organizations get theirs here
    organizations = organizations_allowing(request.user, Action.CLAIM)
    form = ClaimForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        decision = ratelimit.hit("licensing-claim", str(request.user.pk), settings.LICENSING_CLAIM_RATE)
        if not decision.allowed:
            return too_many(
                request, "licensing/claim.html", {"form": form}, form=form, decision=decision, what="attempts"
            )
        try:
            license = services.claim_license(
                user=request.user,
                key=form.cleaned_data["key"],
                organization=form.cleaned_data["organization"],
            )
        except LicensingError as exc:
            if exc.code == "ALREADY_CLAIMED":
                messages.info(request, exc.message)
                return redirect("licensing:list")
            form.add_error("key", exc.message)
        else:
            held_by = license.organization
            assert held_by is not None  # just claimed
            messages.success(request, f"License {license.reference} is now in {held_by.as_place}.")
            return redirect("licensing:detail", license_id=license.public_id)
    return render(request, "licensing/claim.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def trial(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a trial: one per account and product. The key is shown once, in the answer to the POST."""
    tried = services.tried_products(request.user)
    plans = services.trial_plans().exclude(product__in=tried)
    form = TrialForm(request.POST if request.method == "POST" else None, plans=plans)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.start_trial(user=request.user, plan=form.cleaned_data["plan"])
        except LicensingError as exc:
            form.add_error("plan", exc.message)
        else:
            return render(
                request, "licensing/trial_started.html", {"license": issued.license, "key": issued.key}
            )
    status = 400 if form.errors else 200
    return render(request, "licensing/trial.html", {"form": form, "has_plans": plans.exists()}, status=status)


@login_required
@require_GET
def license_detail(request: AuthenticatedHttpRequest, license_id) -> HttpResponse:
    license = license_for(request.user, license_id, Action.VIEW)
    now = timezone.now()
    activations, earlier_machines = detail.machines(license)
    offline = {a.pk for a in activations if standing.is_offline(a, license.plan, now)}
    history_number = _page_number(request.GET.get("history"))
    events, older_events = detail.history_page(license, history_number)
    moves_left = services.moves_left(license, now)
    stopped = license.status in (License.Status.SUSPENDED, License.Status.REVOKED)
    # The event that stopped the license carries the reason staff gave (shown to the customer).
    stopped_by = (
        license.events.filter(kind=license.status).order_by("-created_at", "-id").first() if stopped else None
    )
    can = allowed_actions(license.role)  # type: ignore[attr-defined]  # set by license_for
    advisories = security.machine_advisories(license, activations)
    return render(
        request,
        "licensing/license_detail.html",
        {
            "license": license,
            "machines": detail.machine_rows(
                license,
                activations,
                offline=offline,
                advisories=advisories,
                can=can,
                moves_left=moves_left,
                stopped=stopped,
            ),
            "machines_used": sum(1 for a in activations if a.is_active),
            "earlier_machines": earlier_machines,
            "history": detail.history_lines(license, events),
            "history_number": history_number,
            "older_events": older_events,
            "moves_left": moves_left,
            "contact_url": contact_url(license),
            "can": can,
            "standing": standing.of(license, now),
            "stopped": stopped,
            "stopped_reason": stopped_by.detail.get("reason", "") if stopped_by else "",
            "in_grace": license.runtime_state(now) == "grace",
            "upgrade_plan_ended": license.kind == Plan.Kind.PERPETUAL
            and license.upgrade_plan_until is not None
            and license.upgrade_plan_until < now.date(),
            "reminders": [] if stopped else reminders.upcoming(license, now),
            "versions": releases.for_license(license, activations, now),
            "advisories": advisories,
            "pending_offer": transfers.open_offer_by_holder(license, now),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request: AuthenticatedHttpRequest, license_id, activation_id) -> HttpResponse:
    license = license_for(request.user, license_id, Action.MANAGE_MACHINES)
    activation = _owned_activation(license, activation_id)
    if not activation.is_active:
        messages.info(request, f"{activation} is already deactivated.")
        return redirect("licensing:detail", license_id=license.public_id)
    context = {
        "license": license,
        "activation": activation,
        "moves_left": services.moves_left(license),
        "contact_url": contact_url(license),
    }
    if request.method == "POST":
        try:
            services.release_machine(
                license=license,
                activation_id=activation.public_id,
                actor=Actor.customer(request.user, license.acting_for),  # type: ignore[attr-defined]
            )
        except LicensingError as exc:
            context["error"] = exc
            context["moves_left"] = services.moves_left(license)
            return render(request, "licensing/deactivate.html", context, status=409)
        messages.success(request, f"{activation} is deactivated; its seat is free for another machine.")
        return redirect("licensing:detail", license_id=license.public_id)
    return render(request, "licensing/deactivate.html", context)


@login_required
@require_GET
def certificate(request: AuthenticatedHttpRequest, license_id, activation_id) -> HttpResponse:
    license = license_for(request.user, license_id, Action.CERTIFICATE)
    activation = _owned_activation(license, activation_id)
    activation.license = license
    try:
        document = services.machine_certificate(activation=activation)
    except LicensingError as exc:
        messages.error(request, exc.message)
        return redirect("licensing:detail", license_id=license.public_id)
    return attachment(
        document.armored,
        filename=f"kalytera-{activation.public_id}.lic",
        content_type="application/octet-stream",
    )


@login_required
@require_GET
@never_cache
def show_key(request: AuthenticatedHttpRequest, license_id) -> HttpResponse:
    # 404 for others and 403 for a weak role, before any reauthentication prompt
    license = license_for(request.user, license_id, Action.SHOW_KEY)
    return _show_key(request, license)


@reauthentication_required
def _show_key(request: HttpRequest, license: License) -> HttpResponse:
    return render(
        request, "licensing/show_key.html", {"license": license, "key": services.reveal_key(license=license)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def offline_request(request: AuthenticatedHttpRequest, license_id) -> HttpResponse:
    """Air-gapped servers: apply an uploaded request and hand back the certificate or receipt."""
    license = license_for(request.user, license_id, Action.OFFLINE)
    posted = request.method == "POST"
    data, files = (request.POST, request.FILES) if posted else (None, None)  # sets the flag below
    # kalytera.uploads stops reading an upload past its cap and says so on the request.
    too_large = getattr(request, "upload_too_large", False)
    form = OfflineRequestForm(data, files, too_large=too_large)
    if posted and form.is_valid():
        try:
            parsed = _parse_offline(form.cleaned_data["request"])
            actor = Actor.customer(request.user, license.acting_for)  # type: ignore[attr-defined]
            if isinstance(parsed, offline.ActivationRequest):
                activated = services.activate_offline(license=license, request=parsed, actor=actor)
                activation, document = activated.activation, activated.certificate
                filename = "kalytera-certificate.lic"
            else:
                deactivated = services.deactivate_offline(license=license, request=parsed, actor=actor)
                assert deactivated.receipt is not None  # an offline deactivation always hands one back
                activation, document = deactivated.activation, deactivated.receipt
                filename = "kalytera-deactivation-receipt.lic"
        except (offline.OfflineRequestError, LicensingError) as exc:
            form.add_error(None, exc.message)
        else:
            # The answer is shown and offered as a download in one page (a data: link, so the
            # document is never stored for a second request): the customer sees what happened.
            context = {
                "license": license,
                "activation": activation,
                "activated": isinstance(parsed, offline.ActivationRequest),
                "document": document.armored,
                "filename": filename,
                "download_href": "data:application/octet-stream;base64,"
                + base64.b64encode(document.armored.encode()).decode(),
            }
            response = render(request, "licensing/offline_done.html", context)
            response["Cache-Control"] = "private, no-store"  # as every download (kalytera.downloads)
            return response
    context = {"license": license, "form": form}
    return render(request, "licensing/offline.html", context, status=413 if too_large else 200)


def _parse_offline(text: str | bytes):
    try:
        return offline.parse_request(text, expected_type=offline.ACTIVATION_REQUEST)
    except offline.OfflineRequestError as exc:
        if exc.code != offline.OfflineRequestError.WRONG_TYPE:
            raise
        return offline.parse_request(text, expected_type=offline.DEACTIVATION_REQUEST)
