"""The Redis cache backend: redis-py's public API, short timeouts and a circuit breaker.

Django's own Redis backend hides its client, builds a new ``redis.Redis`` for each call
and waits as long as the operating system lets a connection hang. This backend keeps one
client per server for the whole process (clients are thread-safe; the pool handles the
connections), so pipelines, counters and the Lua script use the client's documented
methods, and it gives up quickly:

* connecting waits at most ``connect_timeout`` seconds and a reply ``socket_timeout``
  seconds (settings ``REDIS_CONNECT_TIMEOUT`` and ``REDIS_SOCKET_TIMEOUT``), with no retry;
* after a failure every operation fails at once for ``down_seconds``
  (``REDIS_DOWN_SECONDS``), so that a hanging Redis costs one timeout per process in that
  time, not one per request.

Every failure of Redis (unreachable, or an error reply such as out of memory or a read-only
replica) is raised as ``CacheUnavailable``; each caller decides what
it means (see "When a dependency fails" in the README). Values are stored as Django's
backend stores them (integers as such, anything else pickled), so either backend reads
the other's entries.
"""

import contextlib
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import redis
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from redis.backoff import NoBackoff
from redis.retry import Retry

T = TypeVar("T")

_CLEAR_BATCH = 1000  # keys asked for per SCAN and deleted per UNLINK by ``clear``


class CacheUnavailable(Exception):
    """Redis did not answer or refused the command, or failed less than ``REDIS_DOWN_SECONDS`` ago."""


# One client and one "down until" moment per server URL, shared by the threads of a
# process (Django makes one backend object per thread).
_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()
_down_until: dict[str, float] = {}


class RedisCache(BaseCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self._url = server
        self._connect_timeout = float(options.get("connect_timeout", 0.1))
        self._socket_timeout = float(options.get("socket_timeout", 0.25))
        self._down_seconds = float(options.get("down_seconds", 5))

    @property
    def client(self) -> redis.Redis:
        """The process's client for this server (redis-py's ``Redis``)."""
        client = _clients.get(self._url)
        if client is None:
            with _clients_lock:
                client = _clients.get(self._url)
                if client is None:
                    client = _clients[self._url] = redis.Redis.from_url(
                        self._url,
                        socket_connect_timeout=self._connect_timeout,
                        socket_timeout=self._socket_timeout,
                        retry=Retry(NoBackoff(), 0),
                    )
        return client

    def _run(self, operation: Callable[[redis.Redis], T]) -> T:
        """Run ``operation`` (one round trip, or the batches of ``clear``) through the circuit breaker."""
        if time.monotonic() < _down_until.get(self._url, 0.0):
            raise CacheUnavailable("Redis failed moments ago; not trying again yet.")
        try:
            return operation(self.client)
        except redis.RedisError as exc:
            # Not only an unreachable server: an error reply (out of memory under
            # ``noeviction``, a read-only replica) leaves the cache just as unusable.
            _down_until[self._url] = time.monotonic() + self._down_seconds
            raise CacheUnavailable(f"Redis failed: {exc}") from exc

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> int | None:
        if timeout == DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, int(timeout))

    # --- Django's cache API -------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        name, data, seconds = self._key(key, version), _dumps(value), self.get_backend_timeout(timeout)
        if seconds == 0:  # Django's rule: store nothing, but say whether it would have been new
            return not self.has_key(key, version)
        return bool(self._run(lambda client: client.set(name, data, ex=seconds, nx=True)))

    def get(self, key, default=None, version=None) -> Any:
        name = self._key(key, version)
        value = self._run(lambda client: client.get(name))
        return default if value is None else _loads(value)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        name, data, seconds = self._key(key, version), _dumps(value), self.get_backend_timeout(timeout)
        if seconds == 0:
            self._run(lambda client: client.delete(name))
        else:
            self._run(lambda client: client.set(name, data, ex=seconds))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        name, seconds = self._key(key, version), self.get_backend_timeout(timeout)
        if seconds is None:
            return bool(self._run(lambda client: client.persist(name)))
        return bool(self._run(lambda client: client.expire(name, seconds)))

    def delete(self, key, version=None) -> bool:
        name = self._key(key, version)
        return bool(self._run(lambda client: client.delete(name)))

    def get_many(self, keys, version=None) -> dict:
        names = {self._key(key, version): key for key in keys}
        if not names:
            return {}
        values = self._run(lambda client: client.mget(list(names)))
        found = zip(names, values, strict=True)
        return {names[name]: _loads(value) for name, value in found if value is not None}

    def has_key(self, key, version=None) -> bool:
        name = self._key(key, version)
        return bool(self._run(lambda client: client.exists(name)))

    def incr(self, key, delta=1, version=None) -> int:
        name = self._key(key, version)
        # INCR alone would create a missing key; Django's contract is ValueError.
        if not self._run(lambda client: client.exists(name)):
            raise ValueError(f"Key '{key}' not found.")
        return self._run(lambda client: client.incrby(name, delta))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        if not data:
            return []
        seconds = self.get_backend_timeout(timeout)
        pipeline = self.client.pipeline()
        for key, value in data.items():
            name = self._key(key, version)
            if seconds == 0:
                pipeline.delete(name)
            else:
                pipeline.set(name, _dumps(value), ex=seconds)
        self._run(lambda client: pipeline.execute())
        return []

    def delete_many(self, keys, version=None) -> None:
        names = [self._key(key, version) for key in keys]
        if names:
            self._run(lambda client: client.delete(*names))

    def clear(self) -> None:
        """Delete this installation's keys, those under ``KEY_PREFIX``, and no others.

        Installations (and test workers) may share one Redis database, each under a prefix
        of its own (``CACHE_KEY_PREFIX``): FLUSHDB would empty theirs too.
        """
        pattern = _glob_escape(self.key_prefix) + ":*"

        def unlink_in_batches(client: redis.Redis) -> None:
            batch: list[bytes] = []
            for name in client.scan_iter(match=pattern, count=_CLEAR_BATCH):
                batch.append(name)
                if len(batch) == _CLEAR_BATCH:
                    client.unlink(*batch)
                    batch.clear()
            if batch:
                client.unlink(*batch)

        self._run(unlink_in_batches)

    def close(self, **kwargs) -> None:
        """Connections stay in the process's pool between requests."""

    # --- Counters of the platform -------------------------------------------------------------

    def count_in_windows(self, counters: list[tuple[str, int]]) -> list[int]:
        """Add one to each ``(key, timeout)`` counter and return them, in one round trip (rate limits).

        Django's ``add`` then ``incr`` takes several round trips per counter. The expiry is
        set again with every hit; counters are per time window, so that only keeps a
        finished window's counter a few seconds longer.
        """
        pipeline = self.client.pipeline(transaction=False)
        for key, timeout in counters:
            name = self._key(key)
            pipeline.incr(name)
            pipeline.expire(name, timeout)
        return self._run(lambda client: pipeline.execute())[::2]

    # A tally is a Redis hash of counters that many processes raise and one job drains
    # into the database: raising costs one round trip and no database write.

    def add_to_tally(self, key: str, field: str, amount: int = 1) -> None:
        name = self._key(key)
        self._run(lambda client: client.hincrby(name, field, amount))

    def read_tally(self, key: str) -> dict[str, int]:
        name = self._key(key)
        raw = self._run(lambda client: client.hgetall(name))
        return {_bytes(field).decode(): int(value) for field, value in raw.items()}

    def take_from_tally(self, key: str, amounts: dict[str, int]) -> None:
        """Subtract what was written elsewhere; counts added meanwhile stay for the next drain."""
        if not amounts:
            return
        name = self._key(key)
        arguments = [part for field, amount in amounts.items() for part in (field, amount)]
        script = self.client.register_script(_TAKE_FROM_TALLY)
        self._run(lambda client: script(keys=[name], args=arguments))

    def _key(self, key: str, version: int | None = None) -> str:
        return self.make_and_validate_key(key, version=version)


def _dumps(value: Any) -> int | bytes:
    # Integers stay integers so that INCR works on them (as in Django's backend; not bool).
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes | str) -> Any:
    try:
        return int(data)
    except ValueError:
        return pickle.loads(_bytes(data))  # noqa: S301 - only this platform writes to its Redis


def _glob_escape(text: str) -> str:
    """``text`` matched literally in a Redis glob pattern (SCAN MATCH)."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _bytes(data: bytes | str) -> bytes:
    # The client answers bytes (responses are not decoded); redis-py's types also allow str.
    return data if isinstance(data, bytes) else data.encode()


# Subtracting and removing emptied fields in one atomic step, so that a count added between
# the two is never deleted with its field.
_TAKE_FROM_TALLY = """
for i = 1, #ARGV, 2 do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
"""


# --- For callers whose answer does not depend on the cache -----------------------------------


def kept(key: str, *, cache: BaseCache = default_cache) -> Any:
    """The cached value of ``key``, or None when it is missing or the cache is unavailable."""
    try:
        return cache.get(key)
    except CacheUnavailable:
        return None


def keep(key: str, value: Any, timeout: float, *, cache: BaseCache = default_cache) -> None:
    """Cache ``value`` if the cache is available; without it the next caller computes it again."""
    with contextlib.suppress(CacheUnavailable):
        cache.set(key, value, timeout)


def forget(keys: Iterable[str], *, cache: BaseCache = default_cache) -> None:
    """Drop ``keys`` if the cache is available. Only for entries that expire soon anyway."""
    with contextlib.suppress(CacheUnavailable):
        cache.delete_many(list(keys))
