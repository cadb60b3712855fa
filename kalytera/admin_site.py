"""The staff admin: its login goes through allauth, and MFA is required before it opens."""

from functools import update_wrapper

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.http import Http404, HttpRequest
from django.shortcuts import redirect


class KalyteraAdminSite(admin.AdminSite):
    site_header = "Kalytera staff"
    site_title = "Kalytera staff"
    index_title = "Staff tools"
    # The app list beside every page takes a quarter of a 1280 px screen from the change
    # lists, which then clip their columns; the breadcrumbs and the index lead back to it.
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and not request.user.is_staff:
            raise Http404  # customers do not learn that a staff area exists
        # allauth's login: rate limits, login codes and MFA apply to staff too.
        return secure_admin_login(super().login)(request, extra_context)

    def password_change(self, request, extra_context=None):
        # allauth's change sends the notice, records the event and limits guesses of the old
        # password; Django's own form would do none of it.
        return redirect("account_change_password")

    def password_change_done(self, request, extra_context=None):
        return redirect("account_change_password")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not (user.is_active and user.is_staff):
                raise Http404
            if user.is_authenticated and not is_mfa_enabled(user):
                messages.warning(
                    request,
                    "Staff accounts need two-factor authentication. Set it up to open the staff admin.",
                )
                return redirect("mfa_index")
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)


class RecordAdmin(admin.ModelAdmin):
    """Records kept as evidence (what people accepted, were told, asked to delete): shown, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
