"""The session list ("where you're signed in") that allauth.usersessions keeps, at sign-in.

At every sign-in allauth purges the account's ended sessions and then records the
current one with get_or_create() in a transaction: a server-side cursor and six
statements, also when the person has no other session. Here the ended sessions are
purged by allauth's own rule, and the current session, which after a sign-in has a new
key that no other request knows, is recorded with one INSERT. A session that is
tracked already (signing in again without a new key) goes through allauth's update,
which also sends its "client changed" signal.
"""

from allauth.account.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.db import IntegrityError, transaction
from django.http import HttpRequest

USER_AGENT_MAX_LENGTH = UserSession._meta.get_field("user_agent").max_length


def on_user_logged_in(sender, request: HttpRequest, **kwargs) -> None:
    """Receiver of allauth's ``user_logged_in`` in place of allauth.usersessions' own."""
    record_sign_in(request)


def record_sign_in(request: HttpRequest) -> None:
    """Purge the signed-in user's ended sessions and add the current one to the list."""
    user = request.user
    if not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    tracked = False
    for session in UserSession.objects.filter(user_id=user.pk):
        if not session.purge() and session.session_key == key:
            tracked = True
    if not tracked:
        try:
            with transaction.atomic():
                UserSession.objects.create(
                    user=user,
                    session_key=key,
                    ip=get_adapter().get_client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH],
                )
            return
        except IntegrityError:
            pass  # Recorded by another request meanwhile: allauth's update below sets it right.
    UserSession.objects.create_from_request(request)
