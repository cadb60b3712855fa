"""The organization pages: the organizations a person belongs to, and one organization's members.

Organizations are loaded only through ``access.membership_for``: non-members get 404;
changing members needs the owner role (403 that says so). Leaving is open to every member.
"""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations import access, services
from organizations.forms import MemberChangeForm, OrganizationForm
from organizations.models import IntegratorGrant, Membership
from organizations.services import OrganizationError


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


def _grants_given(membership: Membership) -> list[IntegratorGrant]:
    """The integrators of an organization, active and invited, for its owners (others see none)."""
    if not access.allows(membership.role, access.Action.MANAGE_INTEGRATORS):
        return []
    given = membership.organization.grants_given.filter(revoked_at__isnull=True).filter(
        Q(accepted_at__isnull=False) | Q(expires_at__gt=timezone.now())
    )
    return list(given.select_related("integrator").order_by("-created_at"))


def _detail_context(membership: Membership) -> dict:
    organization = membership.organization
    members = list(organization.memberships.select_related("user").order_by("user__email"))
    return {
        "grants_given": _grants_given(membership),
        "grants_held": list(
            organization.grants_held.active().select_related("customer").order_by("customer__name")
        ),
        "organization": organization,
        "membership": membership,
        "members": members,
        "can": access.allowed_actions(membership.role),
        "roles": Membership.Role.choices,
        "successors": [m for m in members if m.role != Membership.Role.OWNER],
        "license_count": organization.licenses.count(),
    }


@login_required
@require_GET
def organization_detail(request: HttpRequest, organization_id) -> HttpResponse:
    membership = access.membership_for(request.user, organization_id, access.Action.VIEW)
    return render(request, "organizations/organization_detail.html", _detail_context(membership))


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
