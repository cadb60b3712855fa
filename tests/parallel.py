"""What keeps the workers of a parallel run apart (``pytest -n 2``, pytest-xdist).

pytest-django gives each worker test databases of its own (``test_<name>_gw0``, ...) and
servers that tests start bind to free ports. Redis is the one thing all workers share,
through the one ``REDIS_URL``: a worker keeps its Redis caches under a key prefix of its
own and empties them by deleting the keys under that prefix. ``cache.clear()`` would run
FLUSHDB and empty the caches of every other worker too.
"""

import os

import redis
from django.core.cache.backends.base import BaseCache


def key_prefix(name: str) -> str:
    """A cache key prefix for this worker ("gw0", "gw1", ...; "main" outside xdist)."""
    return f"{name}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def empty(cache: BaseCache, redis_url: str) -> None:
    """Delete the cache's keys from Redis, and only those."""
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
