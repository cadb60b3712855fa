"""Rate limits for our own endpoints (allauth limits its account actions itself).

Counters live in the shared cache (Redis or the database cache), so every app server
process counts the same requests. Limits use fixed windows: simple, one cache round
trip per check, and a burst at a window edge is at most twice the rate, which is
fine for abuse protection. Keys are hashed before they reach the cache, so a license
key or an address never appears in the cache or in its logs.

When Redis is unavailable, limits are counted in the process's memory instead, with the
same windows: each app server process then allows the full rate, so the limit is looser
by the number of processes, but still holds. That lasts ``RATE_LIMIT_LOCAL_SECONDS`` of
an outage; afterwards a caller gets ``CacheUnavailable`` as if there were no fallback.
A caller that must not count per process (the login) passes ``shared_only=True``.
"""

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from kalytera.cache import CacheUnavailable

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


def hit(
    scope: str, key: str, rate: Rate | str, *, now: float | None = None, shared_only: bool = False
) -> Decision:
    """Count one request of ``key`` in ``scope`` and tell whether it stays within ``rate``."""
    return hit_all([(scope, key, rate)], now=now, shared_only=shared_only)


def hit_all(
    checks: Sequence[tuple[str, str, Rate | str]], *, now: float | None = None, shared_only: bool = False
) -> Decision:
    """Count one request against several ``(scope, key, rate)`` limits in one cache round trip.

    Every counter is raised, even when another one is already over its limit. The request
    is refused when any limit is exceeded, until the last exceeded window ends. Raises
    ``CacheUnavailable`` when the shared cache is, if ``shared_only`` or once the outage
    has outlasted the in-memory fallback.
    """
    now = time.time() if now is None else now
    windows = []
    for scope, key, rate in checks:
        rate = Rate.parse(rate) if isinstance(rate, str) else rate
        window = int(now // rate.seconds)
        digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:32]
        windows.append((f"rl:{scope}:{digest}:{window}", rate, window))
    counters = [(cache_key, rate.seconds + 5) for cache_key, rate, _ in windows]
    try:
        counts = _count(counters)
        _local.outage_began = None
    except CacheUnavailable:
        if shared_only:
            raise
        counts = _local.count(counters, now)
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


class _LocalCounters:
    """Window counters in this process's memory, for an outage of the shared cache."""

    MAX_COUNTERS = 50_000  # a flood of new keys drops the oldest counters, not the process

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self.outage_began: float | None = None

    def count(self, counters: list[tuple[str, int]], now: float) -> list[int]:
        with self._lock:
            if self.outage_began is None:
                self.outage_began = now
            if now - self.outage_began > settings.RATE_LIMIT_LOCAL_SECONDS:
                raise CacheUnavailable("The shared cache has been unavailable too long to count locally.")
            if len(self._counts) >= self.MAX_COUNTERS:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                while len(self._counts) >= self.MAX_COUNTERS:
                    del self._counts[next(iter(self._counts))]
            counts = []
            for key, timeout in counters:
                count, expires = self._counts.get(key, (0, 0.0))
                count = count + 1 if expires > now else 1
                self._counts[key] = (count, now + timeout if count == 1 else expires)
                counts.append(count)
            return counts


_local = _LocalCounters()
