"""Rate limits for our own endpoints (allauth limits its account actions itself).

Counters live in the shared cache (Redis or the database cache), so every app server
process counts the same requests. Limits use fixed windows: simple, one cache round
trip per check, and a burst at a window edge is at most twice the rate, which is
fine for abuse protection. Keys are hashed before they reach the cache, so a license
key or an address never appears in the cache or in its logs.
"""

import hashlib
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """``"10/m"`` (ten a minute), ``"100/h"``, ``"5/10m"`` (five in ten minutes)."""
        amount, _, period = text.partition("/")
        unit = period[-1:]
        multiplier = period[:-1] or "1"
        if not amount.isdigit() or unit not in _PERIODS or not multiplier.isdigit():
            raise ValueError(f"Not a rate: {text!r}; write it as 10/m, 100/h or 5/10m.")
        return cls(amount=int(amount), seconds=int(multiplier) * _PERIODS[unit])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until the current window ends (for the Retry-After header)


def hit(scope: str, key: str, rate: Rate | str, *, now: float | None = None) -> Decision:
    """Count one request of ``key`` in ``scope`` and tell whether it stays within ``rate``."""
    return hit_all([(scope, key, rate)], now=now)


def hit_all(checks: Sequence[tuple[str, str, Rate | str]], *, now: float | None = None) -> Decision:
    """Count one request against several ``(scope, key, rate)`` limits in one cache round trip.

    Every counter is raised, even when another one is already over its limit. The request
    is refused when any limit is exceeded, until the last exceeded window ends.
    """
    now = time.time() if now is None else now
    windows = []
    for scope, key, rate in checks:
        rate = Rate.parse(rate) if isinstance(rate, str) else rate
        window = int(now // rate.seconds)
        digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:32]
        windows.append((f"rl:{scope}:{digest}:{window}", rate, window))
    counts = _count([(cache_key, rate.seconds + 5) for cache_key, rate, _ in windows])
    waits = [
        (count > rate.amount, max(1, int((window + 1) * rate.seconds - now)))
        for (_, rate, window), count in zip(windows, counts, strict=True)
    ]
    refused = [wait for over, wait in waits if over]
    if refused:
        return Decision(allowed=False, retry_after=max(refused))
    return Decision(allowed=True, retry_after=max(wait for _, wait in waits))


def _count(counters: list[tuple[str, int]]) -> list[int]:
    count_in_windows = getattr(cache, "count_in_windows", None)
    if count_in_windows is not None:  # Redis: one round trip for all of them
        return count_in_windows(counters)
    counts = []
    for cache_key, timeout in counters:
        cache.add(cache_key, 0, timeout=timeout)  # a no-op when the counter exists
        try:
            counts.append(cache.incr(cache_key))
        except ValueError:  # the entry expired between add() and incr()
            cache.set(cache_key, 1, timeout=timeout)
            counts.append(1)
    return counts


def client_ip(request: HttpRequest) -> str:
    """The client's address, taken from X-Forwarded-For only as far as proxies are trusted.

    With ``TRUSTED_PROXY_COUNT = n`` the n-th address from the right is the one our own
    outermost proxy saw; anything further left was written by the client and is ignored.
    A request that bypassed the proxies (too few entries) counts by its socket address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part]
    candidate = forwarded[-proxies] if proxies and len(forwarded) >= proxies else request.META["REMOTE_ADDR"]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return request.META.get("REMOTE_ADDR", "unknown")
