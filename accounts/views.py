from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.forms import ProfileForm
from accounts.http import AuthenticatedHttpRequest


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/dashboard.html",
        {"mfa_enabled": is_mfa_enabled(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            changed = services.update_profile(
                user=user,
                company=form.cleaned_data["company"],
                phone=form.cleaned_data["phone"],
            )
            messages.success(request, "Profile saved." if changed else "Nothing to change.")
            return redirect("accounts:profile")
    else:
        form = ProfileForm(initial={"company": user.company, "phone": user.phone_display})
    return render(request, "accounts/profile.html", {"form": form})
