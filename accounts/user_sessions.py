"""The session list ("where you're signed in") that allauth.usersessions keeps, at sign-in.

At every sign-in allauth purges the list entries of the account's sessions that ended,
asking for each one whether its row exists, then loading it and its user: three queries
per session. It then records the current session with get_or_create() in a transaction
(a server-side cursor and six statements, also when there is no other session).

Here the list entries and the rows of their sessions are read in one query and judged by
the rule of Django's ``get_user()``, which allauth's check applies, and the current session,
which after a sign-in has a new key that no other request knows, is recorded with one
INSERT. A session that is tracked already (signing in again without a new key) goes
through allauth's update, which also sends its "client changed" signal.
"""

import hashlib
import time
from contextlib import nullcontext

from allauth.account.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from kalytera.sessions import SessionStore

USER_AGENT_MAX_LENGTH = UserSession._meta.get_field("user_agent").max_length


def on_user_logged_in(sender, request: AuthenticatedHttpRequest, **kwargs) -> None:
    """Receiver of allauth's ``user_logged_in`` in place of allauth.usersessions' own."""
    record_sign_in(request)


def record_sign_in(request: AuthenticatedHttpRequest) -> None:
    """Purge the signed-in user's ended sessions and add the current one to the list."""
    user = request.user
    if not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    listed = _purge_ended(user)
    if key not in {session.session_key for session in listed}:
        # Alone, the INSERT needs no transaction of its own (a refused one changes nothing);
        # inside a caller's transaction, a savepoint keeps that transaction usable.
        own = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
        try:
            with own:
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


def _purge_ended(user: User) -> list[UserSession]:
    """Delete the entries of ``user``'s sessions that ended and return the others.

    A session ended, as for Django's ``get_user()``, when its row is gone or expired, it
    is signed out, or it was signed in with a password the account no longer has. Unlike
    ``get_user()`` this only reads: a dead session's row is left to Django, which empties
    it on that session's next request, and the expiry job. The entries and their live
    session rows come in one query.
    """
    if settings.SESSION_ENGINE != "kalytera.sessions":
        return [session for session in UserSession.objects.filter(user_id=user.pk) if not session.purge()]
    live_row = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=timezone.now())
    sessions = list(
        UserSession.objects.filter(user_id=user.pk).annotate(
            live_session_data=Subquery(live_row.values("session_data")[:1])
        )
    )
    store = SessionStore()
    kept, ended = [], []
    for session in sessions:
        sealed = session.live_session_data  # the annotation above
        data = store.decode(sealed) if sealed is not None else {}
        signed_in_as = data.get(SESSION_KEY)
        if signed_in_as is not None and str(signed_in_as) != str(user.pk):
            # Signed in as someone else (no sign-in leaves it so): allauth's own check decides.
            if not session.purge():
                kept.append(session)
        elif signed_in_as is not None and _verifies(data, user):
            kept.append(session)
        else:
            ended.append(session)
    if ended:
        UserSession.objects.filter(pk__in=[session.pk for session in ended]).delete()
    return kept


def _verifies(data: dict, user: User) -> bool:
    """Whether a session's stored backend and password hash still sign ``user`` in."""
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, auth_hash) for auth_hash in hashes)


# --- Activity: the list's "last seen", IP address and browser, without a write per page ---------

# In the session: [session key, digest of the IP address and browser, time of the last write].
SEEN_KEY = "_kalytera_usersession_seen"


class UserSessionsMiddleware:
    """allauth.usersessions' activity tracking, writing the list entry only when it changes.

    allauth's middleware runs ``get_or_create()`` and a full ``UPDATE`` of the entry in a
    transaction on every signed-in request (five statements). This one remembers in the
    session what it last wrote: the entry is written again (through allauth's code, which
    also sends its "client changed" signal) when the IP address or the browser differ, when
    the session key changed, or when ``USERSESSIONS_SEEN_EVERY_SECONDS`` have passed; other
    requests cost nothing. "Last seen" on the list is therefore at most that old.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.USERSESSIONS_TRACK_ACTIVITY
            and hasattr(request, "session")
            and request.session.session_key
            and hasattr(request, "user")
            and request.user.is_authenticated
        ):
            note_activity(request)
        return self.get_response(request)


def note_activity(request) -> None:
    key = request.session.session_key
    agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]
    client = hashlib.sha256(f"{get_adapter().get_client_ip(request)}\n{agent}".encode()).hexdigest()[:32]
    now = int(time.time())
    seen = request.session.get(SEEN_KEY)
    if (
        isinstance(seen, list)
        and len(seen) == 3
        and seen[0] == key
        and seen[1] == client
        and 0 <= now - seen[2] < settings.USERSESSIONS_SEEN_EVERY_SECONDS
    ):
        return
    UserSession.objects.create_from_request(request)
    request.session[SEEN_KEY] = [key, client, now]
