"""The privacy center: see, download, correct, restrict and delete your data."""

from datetime import datetime

from allauth.account.decorators import reauthentication_required
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import security_events
from accounts.http import AuthenticatedHttpRequest
from accounts.models import DataExport, SecurityEvent
from accounts.privacy import deletion, exports, hooks, restriction
from accounts.privacy.forms import DeleteAccountForm, PrivacyChoicesForm
from kalytera import personal_data
from kalytera.downloads import attachment
from organizations import services as organizations


@login_required
@require_GET
def center(request: AuthenticatedHttpRequest) -> HttpResponse:
    choices = restriction.choices_of(request.user)
    form = PrivacyChoicesForm(
        initial={
            "restrict": choices.restricted_at is not None,
            "object_to_optional_mail": choices.objected_at is not None,
        }
    )
    return render(
        request,
        "accounts/privacy/center.html",
        {
            "choices": choices,
            "choices_form": form,
            "exports": exports.exports_of(request.user),
            "export_valid_days": settings.PRIVACY_EXPORT_VALID_DAYS,
        },
    )


@login_required
@require_GET
def your_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "accounts/privacy/your_data.html", {"sections": exports.build_report(request.user)}
    )


@login_required
@require_POST
@reauthentication_required
def request_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        export = exports.request_export(user=request.user, request=request)
    except exports.ExportLimitReached as exc:
        messages.error(request, str(exc))
        return redirect("privacy:center")
    if export.status == DataExport.Status.READY:
        messages.success(request, "Your copy is ready to download below.")
    else:
        messages.success(request, "We are preparing your copy and will email you when it is ready.")
    return redirect("privacy:center")


@login_required
@require_GET
@reauthentication_required
def download_export(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(
        DataExport,
        pk=export_id,
        user=request.user,
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    )
    security_events.record(user=request.user, kind=SecurityEvent.Kind.DATA_EXPORT_DOWNLOADED, request=request)
    filename = f"kalytera-data-{export.requested_on.isoformat()}.json"
    return attachment(export.content, filename=filename, content_type="application/json; charset=utf-8")


@login_required
@require_POST
def save_choices(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PrivacyChoicesForm(request.POST)
    if not form.is_valid():  # two checkboxes: only a forged request gets here
        messages.error(request, "Your choices could not be read. Please try again.")
        return redirect("privacy:center")
    restriction.set_choices(
        user=request.user,
        restrict=form.cleaned_data["restrict"],
        object_to_optional_mail=form.cleaned_data["object_to_optional_mail"],
        request=request,
    )
    messages.success(request, "Your privacy choices are saved.")
    return redirect("privacy:center")


@login_required
@require_GET
def security_timeline(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/privacy/security_timeline.html",
        {
            "events": security_events.timeline(request.user),
            "retention_days": settings.SECURITY_EVENT_RETENTION_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = DeleteAccountForm(
        request.POST or None, email=user.email, ownerships=organizations.needing_successor(user=user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            pending = deletion.request_deletion(
                user=user,
                confirm_email=form.cleaned_data["confirm_email"],
                successors=form.successors(),
                request=request,
            )
        except (deletion.DeletionRefused, organizations.OrganizationError) as exc:
            form.add_error("confirm_email", str(exc))
        else:
            logout(request)
            request.session["privacy_deletion_purge_after"] = pending.purge_after.isoformat()
            return redirect("privacy:deletion_scheduled")
    sections = [section for section in personal_data.sections() if section.concerns(user)]
    return render(
        request,
        "accounts/privacy/delete_account.html",
        {
            "form": form,
            "deleted": [section for section in sections if not section.kept_after_deletion],
            "kept": [section for section in sections if section.kept_after_deletion],
            "grace_days": settings.PRIVACY_DELETION_GRACE_DAYS,
            "ownerships": form.ownerships,
        },
    )


@require_GET
def deletion_scheduled(request: HttpRequest) -> HttpResponse:
    purge_after = request.session.get("privacy_deletion_purge_after")
    if purge_after is None:
        raise Http404
    return render(
        request,
        "accounts/privacy/deletion_scheduled.html",
        {
            "purge_after": datetime.fromisoformat(purge_after),
            "grace_days": settings.PRIVACY_DELETION_GRACE_DAYS,
        },
    )


@require_http_methods(["GET", "POST"])
def cancel_deletion(request: HttpRequest) -> HttpResponse:
    """Reached from the sign-in page after the right password for an account awaiting deletion.

    The password was checked before allauth's second-factor step, so an account that has a
    second factor gives its code (authenticator app or recovery code) here.
    """
    user_id = hooks.user_offered_cancellation(request)
    pending = deletion.pending_deletion(user_id) if user_id else None
    if user_id is None or pending is None:
        raise Http404
    form = None
    if is_mfa_enabled(pending.user):
        form = AuthenticateForm(request.POST if request.method == "POST" else None, user=pending.user)
    if request.method == "POST" and (form is None or form.is_valid()):
        if form is not None:
            form.save()  # records the use: a recovery code is spent, a TOTP code not replayable
        request.session.pop(hooks.CANCEL_SESSION_KEY, None)
        if deletion.cancel_deletion(user_id=user_id, request=request) is None:
            raise Http404  # purged in the meantime
        messages.success(request, "Your account is active again. Sign in to continue.")
        return redirect("account_login")
    return render(request, "accounts/privacy/cancel_deletion.html", {"pending": pending, "form": form})
