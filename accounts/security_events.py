"""The security timeline: what happened to an account, shown to its owner.

``record(...)`` is the one way to add an event; other apps call it for their own
security-relevant actions. Events from allauth's flows arrive through allauth's
signals, connected below, because allauth offers no other hook for them. The code
base's one other receiver, ``accounts.user_sessions.on_user_logged_in`` (connected in
``accounts/apps.py``), replaces allauth's own session recording.
"""

from datetime import datetime, timedelta

from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa import signals as mfa_signals
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import SecurityEvent, User

Kind = SecurityEvent.Kind


def record(*, user: User, kind: str, request: HttpRequest | None = None, detail: str = "") -> SecurityEvent:
    """Add an event to ``user``'s timeline, with the address and browser of ``request``.

    ``detail`` is shown to the user; it must not hold secrets or other people's data.
    """
    ip = None
    user_agent = ""
    if request is not None:
        adapter = get_account_adapter(request)
        ip = adapter.get_client_ip(request) or None
        user_agent = adapter.get_http_user_agent(request)[:200]
    return SecurityEvent.objects.create(
        user=user, kind=kind, ip=ip, user_agent=user_agent, detail=detail[:200]
    )


def timeline(user: User) -> list[SecurityEvent]:
    """The events of ``user`` still within the retention period, newest first."""
    return list(SecurityEvent.objects.filter(user=user, created_at__gte=retention_cutoff()).order_by("-pk"))


def retention_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.SECURITY_EVENT_RETENTION_DAYS)


def purge_expired() -> int:
    """Delete the events older than the retention period the Privacy Policy states."""
    deleted, _ = SecurityEvent.objects.filter(created_at__lt=retention_cutoff()).delete()
    return deleted


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    """Records "signed out elsewhere" when a person ends sessions from the session list."""

    def end_sessions(self, sessions) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        if sessions:
            request = self.request
            user = sessions[0].user
            count = len(sessions)
            record(
                user=user,
                kind=Kind.SESSIONS_ENDED,
                request=request,
                detail=f"{count} session{'s' if count != 1 else ''} ended",
            )


# --- allauth's signals ---------------------------------------------------------------------


def _on(signal, kind: str, detail=None, when=None):
    """Connect ``signal`` so that it records ``kind`` for the user it names (if ``when(kwargs)``)."""

    def handler(sender, request=None, user=None, **kwargs) -> None:
        if user is None and request is not None:
            user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if when is not None and not when(kwargs):
            return
        record(user=user, kind=kind, request=request, detail=detail(kwargs) if detail else "")

    # weak=False: nothing else holds ``handler``, and a signal keeps only a weak reference
    # by default, so the handler would be garbage-collected and the event silently lost
    # (with DEBUG on, Django's receiver check happens to cache it and hides this).
    receiver(signal, weak=False, dispatch_uid=f"security_events.{kind}")(handler)


def _authenticator_type(kwargs: dict) -> str:
    authenticator = kwargs.get("authenticator")
    return authenticator.get_type_display() if authenticator is not None else ""


_on(account_signals.user_logged_in, Kind.LOGIN)
_on(account_signals.user_logged_out, Kind.LOGOUT)
_on(account_signals.password_changed, Kind.PASSWORD_CHANGED)
_on(account_signals.password_set, Kind.PASSWORD_SET)
_on(account_signals.password_reset, Kind.PASSWORD_RESET)
# Verifying the first address at signup also sends ``email_changed``, from no address at all:
# that is not a change the customer needs to review.
_on(account_signals.email_changed, Kind.EMAIL_CHANGED, when=lambda kwargs: kwargs.get("from_email_address"))
_on(account_signals.email_added, Kind.EMAIL_ADDED)
_on(account_signals.email_removed, Kind.EMAIL_REMOVED)
_on(account_signals.login_code_rejected, Kind.LOGIN_CODE_REJECTED)
_on(mfa_signals.authenticator_added, Kind.MFA_ADDED, _authenticator_type)
_on(mfa_signals.authenticator_removed, Kind.MFA_REMOVED, _authenticator_type)
_on(mfa_signals.authenticator_reset, Kind.RECOVERY_CODES_RESET, _authenticator_type)
_on(mfa_signals.authentication_failed, Kind.SECOND_FACTOR_FAILED, _authenticator_type)
