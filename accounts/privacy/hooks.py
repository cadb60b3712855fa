"""What the account adapter asks of the privacy center while someone signs in."""

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts import security_events
from accounts.models import DeletionRequest, SecurityEvent, User

# Set once the right password was given for an account awaiting deletion; the cancel
# page trusts it for a few minutes only.
CANCEL_SESSION_KEY = "privacy_cancel_deletion"
CANCEL_WINDOW_SECONDS = 600


def deletion_pending(user: User) -> bool:
    return DeletionRequest.objects.filter(user_id=user.pk).exists()


def offer_to_cancel_deletion(request: HttpRequest, user: User) -> HttpResponse | None:
    if not deletion_pending(user):
        return None
    request.session[CANCEL_SESSION_KEY] = {"user": user.pk, "at": time.time()}
    return redirect("privacy:cancel_deletion")


def user_offered_cancellation(request: HttpRequest) -> int | None:
    """The id of the account whose owner just proved the password, if still fresh."""
    marker = request.session.get(CANCEL_SESSION_KEY)
    if not marker or time.time() - marker.get("at", 0) > CANCEL_WINDOW_SECONDS:
        return None
    return marker.get("user")


def login_failed(*, request: HttpRequest, email: str) -> None:
    user = _user_for(email)
    if user is not None:
        security_events.record(user=user, kind=SecurityEvent.Kind.LOGIN_FAILED, request=request)


def login_code_sent(*, request: HttpRequest, email: str) -> None:
    user = _user_for(email)
    if user is not None:
        security_events.record(user=user, kind=SecurityEvent.Kind.LOGIN_CODE_SENT, request=request)


def _user_for(email: str) -> User | None:
    if not email:
        return None
    return User.objects.filter(email=User.objects.normalize_email(email)).first()
