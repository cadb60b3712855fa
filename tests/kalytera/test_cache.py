"""The Redis cache backend reuses one client per connection pool."""

import os

import pytest
from django.core.cache import caches

from kalytera.config import cache_settings


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs Redis: set REDIS_URL.")
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = {"redis": cache_settings(url, "test-cache-client")["default"]}
    cache = caches["redis"]
    yield cache
    cache.clear()
    cache.close()


def test_the_platform_uses_the_reusing_backend():
    assert cache_settings("redis://127.0.0.1:6379/0")["default"]["BACKEND"] == "kalytera.cache.RedisCache"


def test_one_client_serves_every_operation(redis_cache):
    redis_cache.set("counter", 1)
    assert redis_cache.incr("counter") == 2
    assert redis_cache.get("counter") == 2
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client() is client  # one server: reads go to the same pool
    assert redis_cache.delete("counter") is True
    assert redis_cache.get("counter") is None
