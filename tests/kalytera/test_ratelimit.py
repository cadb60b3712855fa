import pytest
import redis

from kalytera import ratelimit
from kalytera.ratelimit import Rate


def test_rates_parse_amount_and_period():
    assert Rate.parse("10/m") == Rate(amount=10, seconds=60)
    assert Rate.parse("5/10m") == Rate(amount=5, seconds=600)
    assert Rate.parse("100/h") == Rate(amount=100, seconds=3600)


@pytest.mark.parametrize("text", ["", "10", "ten/m", "10/x", "10/am"])
def test_malformed_rates_are_refused_with_a_hint(text):
    with pytest.raises(ValueError, match="10/m"):
        Rate.parse(text)


def test_requests_beyond_the_rate_are_refused_until_the_window_ends():
    decisions = [ratelimit.hit("test", "client", "3/m", now=120.0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 60
    assert ratelimit.hit("test", "client", "3/m", now=180.0).allowed


def test_keys_and_scopes_are_counted_apart():
    for _ in range(2):
        ratelimit.hit("test", "a", "2/m", now=0.0)
    assert not ratelimit.hit("test", "a", "2/m", now=0.0).allowed
    assert ratelimit.hit("test", "b", "2/m", now=0.0).allowed
    assert ratelimit.hit("other", "a", "2/m", now=0.0).allowed


def test_several_limits_are_counted_together_and_the_strictest_decides():
    checks = [("per-address", "10.0.0.1", "3/m"), ("per-license", "KLY", "2/h")]
    decisions = [ratelimit.hit_all(checks, now=3600.0) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[-1].retry_after == 3600  # the hour's window, not the minute's
    # every counter was raised, including the one still within its limit
    assert not ratelimit.hit("per-address", "10.0.0.1", "3/m", now=3600.0).allowed


def test_an_allowed_request_learns_when_the_longest_window_ends():
    decision = ratelimit.hit_all([("a", "k", "5/m"), ("b", "k", "5/h")], now=3630.0)
    assert (decision.allowed, decision.retry_after) == (True, 3570)


def test_several_limits_take_one_redis_round_trip(redis_cache, monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    sent = []
    original = redis.client.Pipeline.execute

    def execute(self, *args, **kwargs):
        sent.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    decisions = [ratelimit.hit_all([("a", "k", "2/m"), ("b", "k", "5/m")], now=60.0) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert len(sent) == 3


def test_the_key_itself_never_reaches_the_cache(settings):
    from django.core.cache import cache

    ratelimit.hit("license", "KLY-SECRET-KEY", "2/m", now=0.0)
    assert not any("KLY-SECRET-KEY" in key for key in cache._cache)
