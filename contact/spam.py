"""Spam protection for the contact form, without third parties and without cookies.

Three layers, each cheap and each one a real person passes without noticing:

* a honeypot field that people never see (hidden with a CSS class) and programs fill in;
* a signed time token in a hidden field: a form sent within a few seconds of being shown
  was filled in by a program; a stale or forged token is refused as well, and a token
  stores one inquiry at most (replays and double clicks lead to the first one);
* rate limits per client address (an IPv6 client by its /64), counted in the shared cache
  by every app server.

Without Redis the form is still accepted: the limits count in each process's memory and a
replayed token may store a second inquiry (see "When a dependency fails" in the README).

Size limits live on the form fields. Whenever a layer refuses, the person is told what to
do: the form comes back with a fresh token, or the 429 page names a time and an address.
"""

import hashlib
import secrets
import time
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from kalytera import ratelimit
from kalytera.cache import CacheUnavailable, keep
from kalytera.client_address import rate_limit_key

HONEYPOT_FIELD = "website"
TOKEN_SALT = "contact.form-timer"
# After a "too fast" refusal the form comes back with a token that needs only this wait,
# so a person who clicks "Send" again at once gets through.
RETRY_MIN_SECONDS = 1


class TokenProblem(StrEnum):
    TOO_FAST = "too_fast"
    EXPIRED = "expired"
    INVALID = "invalid"


def issue_token(*, min_seconds: int | None = None, now: float | None = None) -> str:
    """A signed token saying when the form was shown and how long filling it must take."""
    now = time.time() if now is None else now
    wait = settings.CONTACT_MIN_FILL_SECONDS if min_seconds is None else min_seconds
    # The nonce makes every token unique, so that "used once" means one form shown once.
    payload = {"shown": round(now, 3), "wait": wait, "nonce": secrets.token_urlsafe(6)}
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


def check_token(token: str, *, now: float | None = None) -> TokenProblem | None:
    """``None`` when the form was filled in at a human pace, else what is wrong."""
    now = time.time() if now is None else now
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
        shown, wait = float(payload["shown"]), int(payload["wait"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return TokenProblem.INVALID
    elapsed = now - shown
    if elapsed < wait:
        return TokenProblem.TOO_FAST
    if elapsed > settings.CONTACT_FORM_MAX_AGE_HOURS * 3600:
        return TokenProblem.EXPIRED
    return None


def claim_token(token: str) -> str | None:
    """Mark a form token as used; ``None`` if it was fresh.

    Otherwise returns the reference of the inquiry the token already sent, or ``""`` while
    that one is still being saved. A double click, a reload of the POST or a program
    replaying one token thus never stores a second inquiry.
    """
    key = _token_key(token)
    try:
        if cache.add(key, "", timeout=_token_lifetime()):
            return None
        return cache.get(key, "")
    except CacheUnavailable:
        return None  # without Redis a replayed form may store a second inquiry; none is lost


def record_token(token: str, reference: str) -> None:
    keep(_token_key(token), reference, _token_lifetime())


def _token_key(token: str) -> str:
    return "contact-token:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _token_lifetime() -> int:
    return settings.CONTACT_FORM_MAX_AGE_HOURS * 3600 + 60


def throttle_submission(request: HttpRequest) -> ratelimit.Decision:
    """Count one submission from the client's address against every configured rate."""
    address = rate_limit_key(request)
    return ratelimit.hit_all([("contact-form", address, rate) for rate in settings.CONTACT_RATE_LIMITS])


def may_acknowledge(email: str) -> bool:
    """Whether this address may receive one more acknowledgement now (see CONTACT_ACK_RATE_LIMIT)."""
    return ratelimit.hit("contact-ack", email.lower(), settings.CONTACT_ACK_RATE_LIMIT).allowed
