from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse

from accounts.privacy import hooks
from kalytera import ratelimit
from kalytera.client_address import client_ip
from kalytera.sealing import Sealer
from outbox.models import OutboundEmail
from outbox.services import queue_message

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
    def logout(self, request: HttpRequest) -> None:
        """Sign out only when the session's copy can be dropped (kalytera/sessions.py): a refused
        sign-out (503 while Redis cannot be told) then records no "signed out" event either."""
        require_cache = getattr(request.session, "require_cache", None)
        if require_cache is not None:
            require_cache()
        super().logout(request)

    def pre_authenticate(self, request, **credentials) -> None:
        """Cap password checks site-wide before allauth's per-address and per-account limits.

        Each check costs one Argon2id hash. A flood spread over many addresses and
        accounts passes allauth's limits; this cap keeps the CPU it can take below half of
        what the servers have, so every other page stays fast. See "Password hashing" in
        the README for how to size ``PASSWORD_CHECK_RATE_LIMIT``.
        """
        # shared_only: a login whose limits cannot be counted across the processes would be
        # a password-guessing oracle, so without Redis it is refused (503, see the README).
        check = ratelimit.hit("password-check", "site", settings.PASSWORD_CHECK_RATE_LIMIT, shared_only=True)
        if not check.allowed:
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The platform's one rule for the client's address (allauth groups IPv6 by /64 itself)."""
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request is at hand) but queue the delivery."""
        request = context.get("request") or self.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        category = (
            OutboundEmail.Category.SECURITY
            if template_prefix in SECURITY_NOTICES
            else OutboundEmail.Category.ACCOUNT
        )
        queue_message(message, category=category)
        if template_prefix == LOGIN_CODE_EMAIL:
            hooks.login_code_sent(request=request, email=email)

    # --- Privacy center: deletion grace period and the security timeline ------------------------

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        # A pending deletion keeps the account shut even if a stale write re-activated it.
        if hooks.deletion_pending(user):
            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        """During the grace period, the right password leads to "cancel the deletion"."""
        return hooks.offer_to_cancel_deletion(request, user) or super().respond_user_inactive(request, user)

    def authentication_failed(self, request: HttpRequest, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        hooks.login_failed(request=request, email=credentials.get("email", ""))


# TOTP secrets and recovery-code seeds: a database dump alone cannot mint a second factor.
TWO_FACTOR_SEALER = Sealer(setting="TWO_FACTOR_ENCRYPTION_SECRET", label="kalytera two-factor seal v1")
TWO_FACTOR_PURPOSE = "two-factor-secret"


class MFAAdapter(DefaultMFAAdapter):
    """allauth calls these for every secret it writes to or reads from ``Authenticator.data``."""

    def encrypt(self, text: str) -> str:
        return TWO_FACTOR_SEALER.seal(TWO_FACTOR_PURPOSE, text)

    def decrypt(self, encrypted_text: str) -> str:
        return TWO_FACTOR_SEALER.unseal(TWO_FACTOR_PURPOSE, encrypted_text)
