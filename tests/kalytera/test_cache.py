"""The Redis cache backend reuses one client per connection pool."""

from kalytera.config import cache_settings


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


def test_a_window_counter_counts_and_expires_in_one_round_trip(redis_cache):
    assert [redis_cache.count_in_windows([("window", 30)])[0] for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client(write=True)
    key = redis_cache.make_and_validate_key("window")
    assert 0 < client.ttl(key) <= 30


def test_rate_limits_hold_on_the_redis_backend(redis_cache, settings, monkeypatch):
    from kalytera import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    decisions = [ratelimit.hit("test", "client", "2/m", now=60.0).allowed for _ in range(3)]
    assert decisions == [True, True, False]


def test_several_window_counters_count_in_one_round_trip(redis_cache, monkeypatch):
    client = redis_cache._cache.get_client(write=True)
    round_trips = []
    monkeypatch.setattr(type(client), "pipeline", _counting(type(client).pipeline, round_trips))
    assert redis_cache.count_in_windows([("a", 30), ("b", 60)]) == [1, 1]
    assert redis_cache.count_in_windows([("a", 30), ("b", 60)]) == [2, 2]
    assert len(round_trips) == 2
    assert 30 < client.ttl(redis_cache.make_and_validate_key("b")) <= 60


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


def test_entries_are_locked_and_read_together_and_written_back_with_their_locks(redis_cache):
    redis_cache.set("first", [1.0])
    assert redis_cache.lock_and_get_many(["first", "second"], lock_timeout=10) == [[1.0], None]
    # The locks are allauth's lock entries: its cache_lock's add() now fails.
    assert redis_cache.add("first:lock", True) is False
    assert redis_cache.add("second:lock", True) is False
    written = {"first": ([2.0, 1.0], 60), "second": ([], 0)}
    redis_cache.set_many_and_unlock(written, locked=["first", "second"])
    assert redis_cache.get("first") == [2.0, 1.0]
    assert redis_cache.get("second") is None
    assert redis_cache.add("first:lock", True) is True
    assert redis_cache.add("second:lock", True) is True


def test_a_lock_held_elsewhere_gives_back_the_locks_just_taken(redis_cache):
    redis_cache.add("second:lock", True)
    assert redis_cache.lock_and_get_many(["first", "second", "third"], lock_timeout=10) is None
    assert redis_cache.get("first:lock") is None
    assert redis_cache.get("second:lock") is True  # the other holder's
    assert redis_cache.get("third:lock") is None
