"""The Redis cache backend: Django's cache API and the platform's counters on redis-py's public API."""

import redis

from kalytera import cache as platform_cache
from kalytera.config import cache_settings


def test_the_platform_uses_its_backend_with_short_timeouts():
    default = cache_settings("redis://127.0.0.1:6379/0")["default"]
    assert default["BACKEND"] == "kalytera.cache.RedisCache"
    assert default["OPTIONS"] == {"connect_timeout": 0.1, "socket_timeout": 0.25, "down_seconds": 5}


def test_one_client_serves_every_operation(redis_cache):
    redis_cache.set("counter", 1)
    assert redis_cache.incr("counter") == 2
    assert redis_cache.get("counter") == 2
    assert redis_cache.client is redis_cache.client
    assert isinstance(redis_cache.client, redis.Redis)
    assert redis_cache.delete("counter") is True
    assert redis_cache.get("counter") is None


def test_djangos_cache_api_holds(redis_cache):
    assert redis_cache.add("a", {"x": [1.5]}, 30) is True
    assert redis_cache.add("a", "other", 30) is False
    assert redis_cache.get("a") == {"x": [1.5]}
    assert redis_cache.get("missing", "default") == "default"
    redis_cache.set_many({"b": "two", "c": 3}, 30)
    assert redis_cache.get_many(["a", "b", "c", "missing"]) == {"a": {"x": [1.5]}, "b": "two", "c": 3}
    assert redis_cache.has_key("b") and not redis_cache.has_key("missing")
    assert redis_cache.touch("b", None) is True
    assert redis_cache.client.ttl(redis_cache.make_and_validate_key("b")) == -1
    redis_cache.set("b", "gone", 0)  # a zero timeout deletes, as in Django
    assert redis_cache.get("b") is None
    redis_cache.delete_many(["a", "c"])
    assert redis_cache.get_many(["a", "c"]) == {}
    try:
        redis_cache.incr("missing")
    except ValueError:
        pass
    else:
        raise AssertionError("incr() of a missing key must raise ValueError")
    assert redis_cache.get("missing") is None  # and must not create it


def test_a_window_counter_counts_and_expires_in_one_round_trip(redis_cache):
    assert [redis_cache.count_in_windows([("window", 30)])[0] for _ in range(3)] == [1, 2, 3]
    key = redis_cache.make_and_validate_key("window")
    assert 0 < redis_cache.client.ttl(key) <= 30


def test_rate_limits_hold_on_the_redis_backend(redis_cache, settings, monkeypatch):
    from kalytera import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    decisions = [ratelimit.hit("test", "client", "2/m", now=60.0).allowed for _ in range(3)]
    assert decisions == [True, True, False]


def test_several_window_counters_count_in_one_round_trip(redis_cache, monkeypatch):
    round_trips = []
    execute = redis.client.Pipeline.execute
    monkeypatch.setattr(redis.client.Pipeline, "execute", _counting(execute, round_trips))
    assert redis_cache.count_in_windows([("a", 30), ("b", 60)]) == [1, 1]
    assert redis_cache.count_in_windows([("a", 30), ("b", 60)]) == [2, 2]
    assert len(round_trips) == 2
    assert 30 < redis_cache.client.ttl(redis_cache.make_and_validate_key("b")) <= 60


def test_a_tally_keeps_what_was_added_while_it_was_being_written_elsewhere(redis_cache):
    for _ in range(3):
        redis_cache.add_to_tally("tally", "x")
    redis_cache.add_to_tally("tally", "y", 5)
    taken = redis_cache.read_tally("tally")
    assert taken == {"x": 3, "y": 5}
    redis_cache.add_to_tally("tally", "x")  # arrives after the read
    redis_cache.take_from_tally("tally", taken)
    assert redis_cache.read_tally("tally") == {"x": 1}
    redis_cache.take_from_tally("tally", {"x": 1})
    assert redis_cache.read_tally("tally") == {}
    redis_cache.take_from_tally("tally", {})  # nothing to take: no error


def _counting(method, calls: list):
    def wrapper(self, *args, **kwargs):
        calls.append(1)
        return method(self, *args, **kwargs)

    return wrapper


def test_clear_deletes_only_the_keys_under_the_prefix(redis_cache, monkeypatch):
    monkeypatch.setattr(platform_cache, "_CLEAR_BATCH", 2)  # several SCAN and UNLINK batches
    redis_cache.set_many({f"mine-{n}": n for n in range(5)}, 60)
    others = ["another-installation:1:theirs", f"{redis_cache.key_prefix}x:1:near-miss"]
    for name in others:
        redis_cache.client.set(name, 1, ex=60)
    redis_cache.clear()
    assert redis_cache.get_many([f"mine-{n}" for n in range(5)]) == {}
    assert [redis_cache.client.get(name) for name in others] == [b"1", b"1"]
    redis_cache.client.delete(*others)


def test_clear_takes_a_prefix_literally(redis_cache, settings):
    settings.CACHES = {"default": {**settings.CACHES["redis"], "KEY_PREFIX": "glob*"}}
    from django.core.cache import cache

    cache.set("mine", 1)
    redis_cache.client.set("globbed:1:theirs", 1, ex=60)
    cache.clear()
    assert cache.get("mine") is None
    assert redis_cache.client.get("globbed:1:theirs") == b"1"
    redis_cache.client.delete("globbed:1:theirs")
