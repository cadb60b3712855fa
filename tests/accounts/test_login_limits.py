"""allauth's failed-login limit on the Redis cache, as allauth counts it.

The limit once had a batched twin on allauth's internals (accounts/login_limits.py). It
saved 0.4 ms of a login that spends hundreds in Argon2id (bench/login_limits.py), so
allauth's own code counts again; the round-trip test below keeps the cost visible.
"""

import os

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from kalytera import settings as platform
from kalytera.config import cache_settings
from tests import parallel, personas
from tests.round_trips import redis_round_trips

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"
LIMIT = {"app": "allauth.account", "action": "login_failed"}


@pytest.fixture
def redis_limits(settings):
    """The shared Redis cache and allauth's rate limits as in production."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs Redis: set REDIS_URL.")
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = cache_settings(url, parallel.key_prefix("test-login-limits"))
    settings.ACCOUNT_RATE_LIMITS = platform.ACCOUNT_RATE_LIMITS
    cache.clear()
    yield
    cache.clear()


def login(email: str, password: str, address: str = ADDRESS):
    return Client(REMOTE_ADDR=address).post(reverse("account_login"), {"login": email, "password": password})


def post_request(address: str = ADDRESS):
    return RequestFactory().post(reverse("account_login"), REMOTE_ADDR=address)


def account_key(email: str) -> str:
    return get_adapter()._get_login_attempts_cache_key(post_request(), email=email)


def entry_keys(request, key: str) -> list[str]:
    """allauth's cache keys of the failed-login limit: per address, then per account."""
    return [
        allauth_ratelimit.get_cache_key(request, **LIMIT, rate=rate, key=key)
        for rate in allauth_ratelimit.get_rates(**LIMIT)
    ]


def entries(email: str, address: str = ADDRESS) -> list[list[float]]:
    return [cache.get(key, []) for key in entry_keys(post_request(address), account_key(email))]


def test_a_correct_password_takes_its_attempt_back(redis_limits, customer):
    for _ in range(7):  # more than the five failures an account may have
        assert login(customer.email, personas.PASSWORD).status_code == 302
    assert entries(customer.email) == [[], []]


def test_failed_attempts_are_stored_where_allauth_counts_them(redis_limits, customer):
    for _ in range(2):
        assert login(customer.email, "wrong-password").status_code == 200
    per_address, per_account = entries(customer.email)
    assert len(per_address) == len(per_account) == 2
    # allauth's own counting (the two-factor step uses it) continues the same count.
    for _ in range(3):
        assert allauth_ratelimit.consume(
            post_request("203.0.113.9"), **LIMIT, key=account_key(customer.email)
        )
    response = login(customer.email, personas.PASSWORD)
    assert response.status_code == 200
    assert b"Too many failed sign-in attempts" in response.content


def test_a_password_reset_clears_the_failures_as_allauth_does(redis_limits, customer):
    for _ in range(5):
        login(customer.email, "wrong-password", address="203.0.113.10")
    assert login(customer.email, personas.PASSWORD).status_code == 200
    get_adapter()._delete_login_attempts_cached_email(post_request(), email=customer.email)
    assert login(customer.email, personas.PASSWORD).status_code == 302


def test_the_address_limit_counts_failures_for_any_account(redis_limits):
    statuses = [login(f"nobody{n}@example.com", "wrong-password").content for n in range(11)]
    assert all(b"Too many failed sign-in attempts" not in body for body in statuses[:10])
    assert b"Too many failed sign-in attempts" in statuses[10]


def test_a_successful_login_makes_twenty_three_redis_round_trips(redis_limits, customer):
    with redis_round_trips() as round_trips:
        assert login(customer.email, personas.PASSWORD).status_code == 302
    # allauth's login limit (4: lock, read, write, unlock), the site-wide password-check
    # cap (1), the failed-login limit's two rates counted (8) and taken back (8); the session's
    # copy in the shared cache: the signed-out session's dropped, the new one's written (2), so
    # that every later page reads its session without a query (kalytera/sessions.py).
    assert len(round_trips) == 23
