"""The Redis cache backend, without a new client object for every cache operation.

Django's backend builds a ``redis.Redis`` for each get, set or incr; the constructor
copies some 170 response callbacks, which costs more CPU than the round trip to Redis.
Rate limits make several cache calls per request, so the Machine API paid for it on
every call. One client per connection pool is enough: clients are thread-safe and the
pool does the connection handling.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClients

    def count_in_windows(self, counters: list[tuple[str, int]]) -> list[int]:
        """Add one to each ``(key, timeout)`` counter and return them, in one round trip (rate limits).

        Django's ``add`` then ``incr`` takes three per counter (``incr`` first asks whether
        the key exists). The expiry is set again with every hit; counters are per time
        window, so that only keeps a finished window's counter a few seconds longer.
        """
        names = [self.make_and_validate_key(key) for key, _ in counters]
        pipeline = self._cache.get_client(names[0], write=True).pipeline(transaction=False)
        for name, (_, timeout) in zip(names, counters, strict=True):
            pipeline.incr(name)
            pipeline.expire(name, timeout)
        return pipeline.execute()[::2]

    # A tally is a Redis hash of counters that many processes raise and one job drains
    # into the database: raising costs one round trip and no database write.

    def add_to_tally(self, key: str, field: str, amount: int = 1) -> None:
        name = self.make_and_validate_key(key)
        self._cache.get_client(name, write=True).hincrby(name, field, amount)

    def read_tally(self, key: str) -> dict[str, int]:
        name = self.make_and_validate_key(key)
        raw = self._cache.get_client(name).hgetall(name)
        return {field.decode(): int(value) for field, value in raw.items()}

    def take_from_tally(self, key: str, amounts: dict[str, int]) -> None:
        """Subtract what was written elsewhere; counts added meanwhile stay for the next drain."""
        if not amounts:
            return
        name = self.make_and_validate_key(key)
        arguments = [part for field, amount in amounts.items() for part in (field, amount)]
        self._cache.get_client(name, write=True).eval(_TAKE_FROM_TALLY, 1, name, *arguments)

    # --- allauth's locked rate-limit entries, several at once ----------------------------------
    # allauth updates a rate-limit entry under a lock entry "<key>:lock" taken with ``add``:
    # four round trips per entry. These two send the same commands for several entries in
    # one round trip each, and take and release the very same lock entries, so they and
    # allauth's own code still exclude each other (see accounts/login_limits.py).

    def lock_and_get_many(self, keys: list[str], *, lock_timeout: int) -> list | None:
        """Take the lock entry of every key and read the keys, in one round trip.

        Returns the values (None for a missing key), or None, having released the locks it
        took, when another process holds one of the locks.
        """
        serializer = self._cache._serializer
        pipeline = self._cache.get_client(write=True).pipeline(transaction=False)
        for key in keys:
            pipeline.set(self._lock_key(key), serializer.dumps(True), ex=lock_timeout, nx=True)
            pipeline.get(self.make_and_validate_key(key))
        replies = pipeline.execute()
        taken, values = replies[0::2], replies[1::2]
        if not all(taken):
            held = [self._lock_key(key) for key, ok in zip(keys, taken, strict=True) if ok]
            if held:
                self._cache.get_client(write=True).delete(*held)
            return None
        return [None if value is None else serializer.loads(value) for value in values]

    def set_many_and_unlock(self, values: dict[str, tuple[object, float]], *, locked: list[str]) -> None:
        """Write ``values`` (key -> (value, timeout in seconds)) and release the locks of ``locked``."""
        serializer = self._cache._serializer
        pipeline = self._cache.get_client(write=True).pipeline(transaction=False)
        for key, (value, timeout) in values.items():
            timeout = self.get_backend_timeout(timeout)
            if timeout == 0:
                pipeline.delete(self.make_and_validate_key(key))
            else:
                pipeline.set(self.make_and_validate_key(key), serializer.dumps(value), ex=timeout)
        if locked:
            pipeline.delete(*(self._lock_key(key) for key in locked))
        pipeline.execute()

    def _lock_key(self, key: str) -> str:
        return self.make_and_validate_key(f"{key}:lock")


# Subtracting and removing emptied fields in one atomic step, so that a count added between
# the two is never deleted with its field.
_TAKE_FROM_TALLY = """
for i = 1, #ARGV, 2 do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
"""
