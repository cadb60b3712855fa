"""The organization pages: the organizations a person belongs to, and one organization's members.

Organizations are loaded only through ``access.membership_for``: non-members get 404;
changing members needs the owner role (403 that says so). Leaving is open to every member.
"""

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kalytera import ratelimit
from kalytera.views import too_many
from organizations import access, api_tokens, invitations, services
from organizations.forms import ApiTokenForm, InvitationForm, MemberChangeForm, OrganizationForm
from organizations.models import ApiToken, IntegratorGrant, Invitation, Membership
from organizations.services import OrganizationError

Role = Membership.Role


@login_required
@require_http_methods(["GET", "POST"])
def organization_list(request: HttpRequest) -> HttpResponse:
    services.personal_organization(user=request.user)
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.create_organization(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"{organization} is ready; you are its owner.")
        return redirect("organizations:detail", organization_id=organization.public_id)
    memberships = (
        Membership.objects.filter(user_id=cast(int, request.user.pk))  # signed in: never None
        .select_related("organization")
        .order_by("organization__name")
    )
    status = 400 if form.errors else 200
    return render(
        request,
        "organizations/organization_list.html",
        {
            "memberships": memberships,
            "form": form,
            "looks_after": IntegratorGrant.objects.active()
            .filter(integrator__memberships__user=request.user)
            .exists(),
        },
        status=status,
    )


def _invitable_roles(membership: Membership) -> list[tuple[str, str]]:
    """Owners invite with any role; managers invite viewers and managers."""
    if access.allows(membership.role, access.Action.MANAGE_MEMBERS):
        return Role.choices
    return [(value, label) for value, label in Role.choices if value != Role.OWNER]


def _grants_given(membership: Membership) -> list[IntegratorGrant]:
    """The integrators of an organization, active and invited, for its owners (others see none)."""
    if not access.allows(membership.role, access.Action.MANAGE_INTEGRATORS):
        return []
    given = membership.organization.grants_given.filter(revoked_at__isnull=True).filter(
        Q(accepted_at__isnull=False) | Q(expires_at__gt=timezone.now())
    )
    return list(given.select_related("integrator").order_by("-created_at"))


def _detail_context(
    membership: Membership,
    invitation_form: InvitationForm | None = None,
    token_form: ApiTokenForm | None = None,
    new_token: str = "",
) -> dict:
    organization = membership.organization
    members = list(organization.memberships.select_related("user").order_by("user__email"))
    can = access.allowed_actions(membership.role)
    pending: list[Invitation] = []
    inviting = "INVITE" in can and not organization.is_personal
    if inviting:
        pending = list(
            organization.invitations.filter(status=Invitation.Status.PENDING)
            .select_related("invited_by")
            .order_by("email")
        )
        invitation_form = invitation_form or InvitationForm(roles=_invitable_roles(membership))
    tokens: list[ApiToken] = []
    if "MANAGE_MEMBERS" in can:
        tokens = list(
            organization.api_tokens.filter(revoked_at__isnull=True)
            .select_related("created_by")
            .order_by("-created_at", "-pk")
        )
        token_form = token_form or ApiTokenForm()
    return {
        "grants_given": _grants_given(membership),
        "grants_held": list(
            organization.grants_held.active().select_related("customer").order_by("customer__name")
        ),
        "organization": organization,
        "membership": membership,
        "members": members,
        "can": can,
        "roles": Role.choices,
        "successors": [m for m in members if m.role != Role.OWNER],
        "license_count": organization.licenses.count(),
        "invitations": pending,
        "invitation_form": invitation_form if inviting else None,
        "tokens": tokens,
        "token_form": token_form if "MANAGE_MEMBERS" in can else None,
        "new_token": new_token,
        "now": timezone.now(),
    }


@login_required
@require_GET
def organization_detail(request: HttpRequest, organization_id) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.VIEW)
    return render(request, "organizations/organization_detail.html", _detail_context(membership))


@login_required
@require_POST
def invite(request: HttpRequest, organization_id) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.INVITE)
    form = InvitationForm(request.POST, roles=_invitable_roles(membership))
    if form.is_valid():
        # Each invitation emails an address someone typed: capped per person, like transfer offers.
        decision = ratelimit.hit(
            "organization-invitation", str(request.user.pk), settings.ORGANIZATION_INVITE_RATE
        )
        if not decision.allowed:
            context = _detail_context(membership, form)
            return too_many(
                request, "organizations/organization_detail.html", context, form=form, decision=decision,
                what="invitations",
            )  # fmt: skip
        try:
            sent = invitations.invite(
                by=request.user,
                organization=membership.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except OrganizationError as exc:
            form.add_error("email", exc.message)
        else:
            again = " It replaces the earlier invitation, whose link no longer works." * sent.replaced
            messages.success(
                request, f"We emailed an invitation to {sent.invitation.email}; it works for 7 days.{again}"
            )
            return redirect("organizations:detail", organization_id=membership.organization.public_id)
    return render(
        request, "organizations/organization_detail.html", _detail_context(membership, form), status=400
    )


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, organization_id, invitation_id: int) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.MANAGE_MEMBERS)
    try:
        invitation = invitations.revoke(
            by=request.user, organization=membership.organization, invitation_id=invitation_id
        )
    except OrganizationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation of {invitation.email} is withdrawn; its link is dead.")
    return redirect("organizations:detail", organization_id=membership.organization.public_id)


@login_required
@require_POST
def dissolve(request: HttpRequest, organization_id) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.MANAGE_MEMBERS)
    try:
        services.dissolve(by=request.user, organization=membership.organization)
    except OrganizationError as exc:
        messages.error(request, exc.message)
        return redirect("organizations:detail", organization_id=membership.organization.public_id)
    messages.success(request, f"{membership.organization} is dissolved.")
    return redirect("organizations:list")


@login_required
@require_POST
def create_token(request: HttpRequest, organization_id) -> HttpResponse:
    """An owner makes an API token; the page shows it this once (never stored, never redirected)."""
    membership = access.membership_for(request.user, organization_id, access.Action.MANAGE_MEMBERS)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        context = _detail_context(membership, token_form=form)
        return render(request, "organizations/organization_detail.html", context, status=400)
    created = api_tokens.create(
        by=request.user, organization=membership.organization, name=form.cleaned_data["name"]
    )
    context = _detail_context(membership, new_token=created.secret)
    response = render(request, "organizations/organization_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, organization_id, token_id: int) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.MANAGE_MEMBERS)
    try:
        token = api_tokens.revoke(by=request.user, organization=membership.organization, token_id=token_id)
    except OrganizationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The token {token.name} is revoked; requests with it are refused.")
    return redirect("organizations:detail", organization_id=membership.organization.public_id)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens: who is invited where, and what to do to accept.

    Anyone may open it (the token is the secret); accepting needs the invited address,
    verified, on the signed-in account. Signing in or up comes back here through ``next``.
    """
    found = invitations.find(token)
    if found is None:
        return render(request, "organizations/invitation.html", {"unknown": True}, status=404)
    context: dict = {"invitation": found, "refusal": invitations.refusal(found)}
    if context["refusal"] is not None:
        return render(request, "organizations/invitation.html", context, status=410)
    if not request.user.is_authenticated:
        here = urlencode({"next": request.path})
        context["login_url"] = f"{reverse('account_login')}?{here}"
        context["signup_url"] = f"{reverse('account_signup')}?{here}"
        return render(request, "organizations/invitation.html", context)
    if not invitations.addressed_to(found, request.user):
        context["other_address"] = True
        return render(request, "organizations/invitation.html", context, status=403)
    if request.method == "POST":
        try:
            accepted = invitations.accept(user=request.user, token=token)
        except OrganizationError as exc:
            context["refusal"] = exc
            return render(request, "organizations/invitation.html", context, status=409)
        organization = accepted.membership.organization
        if accepted.joined:
            messages.success(
                request, f"You joined {organization} as {accepted.membership.get_role_display().lower()}."
            )
        else:
            messages.info(
                request,
                f"You were already a member of {organization} "
                f"({accepted.membership.get_role_display().lower()}); nothing changed.",
            )
        return redirect("organizations:detail", organization_id=organization.public_id)
    context["membership"] = Membership.objects.filter(
        organization_id=found.organization_id, user_id=request.user.pk
    ).first()
    return render(request, "organizations/invitation.html", context)


def _apply(request: HttpRequest, membership: Membership, change) -> HttpResponse:
    """Run a member change from a posted form; a refusal shows the page again with the reason."""
    form = MemberChangeForm(
        request.POST, members=list(membership.organization.memberships.select_related("user"))
    )
    if form.is_valid():
        try:
            message = change(form.cleaned_data)
        except OrganizationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
            if not Membership.objects.filter(pk=membership.pk).exists():  # left the organization
                return redirect("organizations:list")
    else:
        messages.error(request, "Choose a role and, if asked, a new owner from the list.")
    return redirect("organizations:detail", organization_id=membership.organization.public_id)


@login_required
@require_POST
def change_role(request: HttpRequest, organization_id, membership_id: int) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.MANAGE_MEMBERS)

    def change(data: dict) -> str:
        member = services.change_role(
            by=request.user,
            organization=membership.organization,
            membership_id=membership_id,
            role=data["role"],
            successor_id=data["successor"],
        )
        return f"{member.user.email} is now {member.get_role_display().lower()}."

    return _apply(request, membership, change)


@login_required
@require_POST
def remove_member(request: HttpRequest, organization_id, membership_id: int) -> HttpResponse:
    """An owner removes someone, or a member leaves (their own membership)."""
    membership = access.membership_for(request.user, organization_id, access.Action.VIEW)

    def change(data: dict) -> str:
        services.remove_member(
            by=request.user,
            organization=membership.organization,
            membership_id=membership_id,
            successor_id=data["successor"],
        )
        if membership_id == membership.pk:
            return f"You have left {membership.organization}."
        return f"The member was removed from {membership.organization}; their access has ended."

    return _apply(request, membership, change)
