"""allauth's failed-login limit ("login_failed"), with the commands of all its rates sent together.

allauth counts every password attempt before checking it and takes the attempt back
when the password was right. Each rate is updated under a lock entry: take the lock,
read, write, release, so four round trips per rate, eight for the two rates and eight
more to take the attempt back. Here the locks and reads of all rates go in one round
trip and the writes and releases in another.

Everything else is allauth's: the cache keys, the stored timestamps, the lock entries,
the waiting for a held lock and ``apply_rate``. The two-factor step counts its failures
under the same per-address entry and a password reset clears the per-account one,
both through allauth's code, and they see one shared count. Caches without the batched
commands (the database cache in development) run allauth's code unchanged.
"""

import time
from dataclasses import dataclass

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.http import HttpRequest

APP = "allauth.account"
ACTION = "login_failed"


@dataclass
class Usage:
    """One counted attempt: cache key -> (timestamp recorded, how long the rate keeps it)."""

    recorded: dict[str, tuple[float, float]]

    def rollback(self) -> None:
        """Take the attempt back (the password was right); allauth's adapter calls this."""
        keys = list(self.recorded)
        histories = _lock_and_read(keys)
        if histories is None:
            return  # As in allauth: keeping the attempt only makes the limit stricter.
        updates = {
            key: ([ts for ts in history if ts != self.recorded[key][0]], self.recorded[key][1])
            for key, history in zip(keys, histories, strict=True)
        }
        cache.set_many_and_unlock(updates, locked=keys)


def consume(request: HttpRequest, *, key: str) -> Usage | allauth_ratelimit.RateLimitUsage | None:
    """Count a password attempt for ``key`` (the account) and for the client's address.

    Returns what to roll back after a correct password, or None when a rate is used up
    (or its entry stayed locked by another request for a whole second, as in allauth).
    """
    rates = allauth_ratelimit.get_rates(app=APP, action=ACTION)
    if not hasattr(cache, "lock_and_get_many") or not rates or request.method == "GET":
        return allauth_ratelimit.consume(request, app=APP, action=ACTION, key=key)
    keys = [
        allauth_ratelimit.get_cache_key(request, app=APP, action=ACTION, rate=rate, key=key) for rate in rates
    ]
    histories = _lock_and_read(keys)
    if histories is None:
        return None
    now = time.time()
    updates, recorded = {}, {}
    # Rate by rate as allauth does: the rates before a refusing one keep the attempt.
    for rate, cache_key, history in zip(rates, keys, histories, strict=True):
        allowed, history = allauth_ratelimit.apply_rate(history, now, rate)
        if not allowed:
            cache.set_many_and_unlock(updates, locked=keys)
            return None
        updates[cache_key] = (history, rate.duration)
        recorded[cache_key] = (now, rate.duration)
    cache.set_many_and_unlock(updates, locked=keys)
    return Usage(recorded)


def _lock_and_read(keys: list[str]) -> list[list[float]] | None:
    """The entries of ``keys``, locked; waits for other holders like allauth's ``cache_lock``."""
    deadline = time.monotonic() + allauth_ratelimit.CACHE_LOCK_WAIT_TIMEOUT
    retry_interval = allauth_ratelimit.CACHE_LOCK_RETRY_INTERVAL
    while True:
        values = cache.lock_and_get_many(keys, lock_timeout=allauth_ratelimit.CACHE_LOCK_TIMEOUT)
        if values is not None:
            return [[] if history is None else history for history in values]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(retry_interval, remaining))
        retry_interval = min(retry_interval * 2, allauth_ratelimit.CACHE_LOCK_MAX_RETRY_INTERVAL)
