"""Integrator pages: the customer's invitation and grants, the integrator's acceptance and overview.

The customer's side is loaded through ``organizations.access.membership_for`` (owners only
give and end access); the integrator's overview lists only what active grants reach, through
``licensing.access``. An invitation link works for its verified address alone.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from kalytera import ratelimit
from kalytera.views import too_many
from licensing import standing
from licensing.forms import GrantChangeForm, IntegratorAcceptForm, IntegratorInviteForm
from licensing.services import integrators
from licensing.services.integrators import GrantError
from organizations.access import Action, membership_for


@login_required
@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every site the person's organizations look after, by customer, with what needs attention."""
    customers = standing.looked_after(request.user, timezone.now())
    return render(request, "licensing/integrator_overview.html", {"customers": customers})


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: AuthenticatedHttpRequest, organization_id) -> HttpResponse:
    membership = membership_for(request.user, organization_id, Action.MANAGE_INTEGRATORS)
    customer = membership.organization
    licenses = customer.licenses.select_related("plan").order_by("-created_at", "-id")
    form = IntegratorInviteForm(request.POST or None, licenses=licenses)
    if request.method == "POST" and form.is_valid():
        decision = ratelimit.hit(
            "integrator-invite", str(request.user.pk), settings.LICENSING_INTEGRATOR_INVITE_RATE
        )
        if not decision.allowed:
            context = {"organization": customer, "form": form}
            return too_many(
                request,
                "licensing/integrator_invite.html",
                context,
                form=form,
                decision=decision,
                what="invitations",
            )
        data = form.cleaned_data
        try:
            invitation = integrators.invite_integrator(
                by=request.user,
                customer=customer,
                email=data["email"],
                scope=data["scope"],
                licenses=list(data["licenses"]) if data["coverage"] == "chosen" else None,
                send_reminders=data["send_reminders"],
            )
        except GrantError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.grant.email}. Access starts when they accept; "
                "you can revoke it at any time.",
            )
            return redirect("organizations:detail", organization_id=customer.public_id)
    status = 400 if form.errors else 200
    context = {"organization": customer, "form": form}
    return render(request, "licensing/integrator_invite.html", context, status=status)


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, organization_id, grant_id) -> HttpResponse:
    membership = membership_for(request.user, organization_id, Action.MANAGE_INTEGRATORS)
    try:
        grant = integrators.revoke_grant(by=request.user, customer=membership.organization, grant_id=grant_id)
    except GrantError as exc:
        messages.error(request, exc.message)
    else:
        who = grant.integrator or grant.email
        messages.success(request, f"{who} no longer has access to the licenses of {grant.customer}.")
    return redirect("organizations:detail", organization_id=membership.organization.public_id)


@login_required
@require_POST
def change(request: AuthenticatedHttpRequest, organization_id, grant_id) -> HttpResponse:
    membership = membership_for(request.user, organization_id, Action.MANAGE_INTEGRATORS)
    form = GrantChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose view or manage.")
    else:
        try:
            grant = integrators.change_grant(
                by=request.user,
                customer=membership.organization,
                grant_id=grant_id,
                scope=form.cleaned_data["scope"],
                send_reminders=form.cleaned_data["send_reminders"],
            )
        except GrantError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The grant to {grant.integrator or grant.email} is changed.")
    return redirect("organizations:detail", organization_id=membership.organization.public_id)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The invited person chooses which of their organizations becomes the integrator."""
    grant = integrators.open_invitation(token)
    if grant is None:
        return render(request, "licensing/integrator_accept.html", {"closed": True}, status=404)
    choices = [o for o in integrators.integrator_choices(request.user) if o.pk != grant.customer_id]
    form = IntegratorAcceptForm(request.POST or None, organizations=choices)
    if request.method == "POST" and form.is_valid():
        try:
            integrators.accept_invitation(
                user=request.user, token=token, integrator=form.cleaned_data["integrator"]
            )
        except GrantError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"You now look after the licenses of {grant.customer}.")
            return redirect("licensing:integrators")
    context = {
        "grant": grant,
        "form": form,
        "choices": choices,
        "right_account": integrators.has_verified(request.user, grant.email),
    }
    return render(request, "licensing/integrator_accept.html", context, status=400 if form.errors else 200)
