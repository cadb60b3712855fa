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

    def count_in_window(self, key: str, *, timeout: int) -> int:
        """Add one to a counter and return it, in one round trip (rate limits).

        Django's ``add`` then ``incr`` takes three (``incr`` first asks whether the key
        exists). The expiry is set again with every hit; counters are per time window, so
        that only keeps a finished window's counter a few seconds longer.
        """
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, timeout)
        count, _ = pipeline.execute()
        return count
