"""The transfer pages: offering licenses, the offers of a person's organizations, and accepting one.

Licenses to offer are loaded through ``licensing.access.license_for`` with the transfer
action (owners only): others get 404, members with a weaker role a 403 that says so. The
acceptance page is reached by the link from the email and is for the person whose verified
address it was sent to; the services enforce every rule again under row locks.
"""

import uuid

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from kalytera import ratelimit
from kalytera.views import too_many
from licensing.access import license_for
from licensing.forms import TransferAcceptForm, TransferOfferForm
from licensing.models import License, LicenseTransfer
from licensing.services import LicensingError, transfers
from organizations.access import Action
from organizations.models import Membership
from organizations.services import personal_organization


@login_required
@require_http_methods(["GET", "POST"])
def offer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Offer the licenses chosen on the license list or a license page (``?license=<id>``, repeated)."""
    try:
        chosen = [
            uuid.UUID(value) for value in request.GET.getlist("license")[: transfers.MAX_LICENSES_PER_OFFER]
        ]
    except ValueError as exc:
        raise Http404("No such license.") from exc
    if not chosen:
        messages.info(request, "Choose the licenses to transfer in the list first.")
        return redirect("licensing:list")
    # 404 for licenses of others, 403 (naming the owner role) where the person is not an owner.
    licenses = [license_for(request.user, license_id, Action.TRANSFER) for license_id in chosen]
    choices = License.objects.filter(pk__in=[license.pk for license in licenses]).select_related("plan")
    initial = {"licenses": [license.public_id for license in licenses]}
    form = TransferOfferForm(request.POST or None, licenses=choices, initial=initial)
    context = {"form": form, "organizations": sorted({str(license.organization) for license in licenses})}
    if request.method == "POST" and form.is_valid():
        decision = ratelimit.hit(
            "licensing-transfer-offer", str(request.user.pk), settings.LICENSING_TRANSFER_OFFER_RATE
        )
        if not decision.allowed:
            return too_many(
                request, "licensing/transfer_offer.html", context, form=form, decision=decision, what="offers"
            )
        try:
            offered = transfers.offer_transfer(
                by=request.user,
                licenses=list(form.cleaned_data["licenses"]),
                recipient_email=form.cleaned_data["recipient_email"],
            )
        except LicensingError as exc:
            form.add_error(None, exc.message)
        else:
            count = offered.transfer.licenses.count()
            messages.success(
                request,
                f"Offer sent to {offered.transfer.recipient_email}: {count} license(s), until "
                f"{offered.transfer.expires_at:%Y-%m-%d %H:%M} UTC. You can withdraw it until it is "
                "accepted.",
            )
            return redirect("licensing:transfers")
    return render(request, "licensing/transfer_offer.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def transfer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Offers to the person's verified addresses, and the transfers of their organizations."""
    now = timezone.now()
    addresses = list(
        EmailAddress.objects.filter(user=request.user, verified=True).values_list("email", flat=True)
    )
    incoming = (
        LicenseTransfer.objects.filter(
            state=LicenseTransfer.State.PENDING,
            expires_at__gt=now,
            recipient_email__in=[a.lower() for a in addresses],
        )
        .select_related("from_organization", "offered_by")
        .prefetch_related("licenses")
    )
    mine = Q(from_organization__memberships__user=request.user) | Q(
        to_organization__memberships__user=request.user
    )
    history = (
        LicenseTransfer.objects.filter(mine)
        .distinct()
        .select_related("from_organization", "to_organization", "offered_by", "decided_by")
        .prefetch_related("licenses")
        .order_by("-created_at", "-id")[:100]
    )
    roles = dict(request.user.memberships.values_list("organization_id", "role"))
    rows = [
        (
            transfer,
            transfer.current_state(now),
            roles.get(transfer.from_organization_id) == Membership.Role.OWNER,  # may withdraw
            transfer.from_organization_id in roles,  # sees who offered it, and to whom
        )
        for transfer in history
    ]
    return render(request, "licensing/transfers.html", {"incoming": incoming, "rows": rows})


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, transfer_id) -> HttpResponse:
    transfer = get_object_or_404(
        LicenseTransfer.objects.filter(from_organization__memberships__user=request.user).distinct(),
        public_id=transfer_id,
    )
    try:
        transfers.withdraw_transfer(by=request.user, transfer=transfer)
    except LicensingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The offer is withdrawn; its link no longer works.")
    return redirect("licensing:transfers")


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The link from the email: the recipient chooses the receiving organization and accepts."""
    try:
        transfer = transfers.find_offer(token)
        transfers.refuse_other_people(request.user, transfer)
    except LicensingError as exc:
        status = 404 if exc.code == "TRANSFER_NOT_FOUND" else 403
        return render(request, "licensing/transfer_refused.html", {"error": exc}, status=status)
    personal_organization(user=request.user)  # accounts from before organizations get theirs here
    state = transfer.current_state(timezone.now())
    organizations = transfers.receiving_organizations(request.user).exclude(pk=transfer.from_organization_id)
    form = TransferAcceptForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            accepted = transfers.accept_transfer(
                user=request.user, token=token, organization=form.cleaned_data["organization"]
            )
        except LicensingError as exc:
            form.add_error(None, exc.message)
        else:
            receiver = accepted.to_organization
            assert receiver is not None  # accepted just now
            messages.success(request, f"The licenses are now in {receiver.as_place}.")
            return redirect("licensing:list")
    context = {
        "transfer": transfer,
        "state": state,
        "licenses": transfer.licenses.select_related("plan__product"),
        "form": form,
        "has_organizations": organizations.exists(),
    }
    return render(request, "licensing/transfer_accept.html", context, status=400 if form.errors else 200)
