from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse

from accounts import privacy_hooks
from kalytera.mail import queue_message
from kalytera.models import OutboundEmail

LOGIN_CODE_EMAIL = "account/email/login_code"

# allauth's notices about changes to an account (sent with time, IP and browser).
SECURITY_NOTICES = {
    "account/email/email_changed",
    "account/email/email_confirm",
    "account/email/email_deleted",
    "account/email/password_changed",
    "account/email/password_reset",
    "account/email/password_set",
    "mfa/email/recovery_codes_generated",
    "mfa/email/totp_activated",
    "mfa/email/totp_deactivated",
    "mfa/email/webauthn_added",
    "mfa/email/webauthn_removed",
}


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request is at hand) but queue the delivery."""
        request = context.get("request") or self.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        category = (
            OutboundEmail.Category.SECURITY
            if template_prefix in SECURITY_NOTICES
            else OutboundEmail.Category.ACCOUNT
        )
        queue_message(message, category=category)
        if template_prefix == LOGIN_CODE_EMAIL:
            privacy_hooks.login_code_sent(request=request, email=email)

    # --- Privacy center: deletion grace period and the security timeline ------------------------

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        # A pending deletion keeps the account shut even if a stale write re-activated it.
        if privacy_hooks.deletion_pending(user):
            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        """During the grace period, the right password leads to "cancel the deletion"."""
        return privacy_hooks.offer_to_cancel_deletion(request, user) or super().respond_user_inactive(
            request, user
        )

    def authentication_failed(self, request: HttpRequest, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        privacy_hooks.login_failed(request=request, email=credentials.get("email", ""))
