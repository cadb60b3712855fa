"""allauth's rate limits, counted in the shared cache, hold across separate server processes."""

import itertools
import os

import pytest

from kalytera import settings as platform
from tests import personas

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LOGIN = "/accounts/login/"


def _per_ip_limit(action: str) -> int:
    """The first per-IP amount of one of allauth's limits, e.g. 30 for "30/m/ip"."""
    limits = platform.ACCOUNT_RATE_LIMITS
    assert limits, "the platform keeps allauth's rate limits on"
    for rule in limits[action].split(","):
        amount, _, rest = rule.partition("/")
        if rest.endswith("/ip"):
            return int(amount)
    raise AssertionError(f"no per-IP limit for {action}")


@pytest.mark.parametrize("cache", ["redis", "database"])
def test_login_limit_per_address_counts_requests_on_both_servers(start_app_servers, cache):
    if cache == "redis" and not os.environ.get("REDIS_URL"):
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs Redis: set REDIS_URL.")
        pytest.skip("needs Redis (set REDIS_URL)")
    servers = start_app_servers(**({} if cache == "redis" else {"REDIS_URL": ""}))
    limit = _per_ip_limit("login")
    first, second = servers.clients()
    statuses = []
    # Alternate: each server alone sees only half of the limit.
    for client, attempt in zip(itertools.cycle([first, second]), range(limit + 4), strict=False):
        response = client.post(LOGIN, {"login": f"nobody{attempt}@example.com", "password": "wrong-password"})
        statuses.append(response.status)
    assert 429 not in statuses[: limit // 2]
    assert statuses[-1] == 429
    # Both processes refuse now, and the refusal is the styled page.
    for client in (first, second):
        refused = client.post(LOGIN, {"login": "nobody@example.com", "password": "wrong-password"})
        assert refused.status == 429
        assert "Too many requests" in refused.body


def test_failed_logins_for_one_account_are_limited_across_servers(app_servers):
    customer = personas.make_customer()
    first, second = app_servers.clients()
    for client in itertools.islice(itertools.cycle([first, second]), 5):
        response = client.post(LOGIN, {"login": customer.email, "password": "wrong-password"})
        assert response.status == 200
        assert "password you specified are not correct" in response.body
    # The sixth attempt is refused, even with the right password, on either server.
    response = first.post(LOGIN, {"login": customer.email, "password": personas.PASSWORD})
    assert response.status != 302
    assert "Too many failed sign-in attempts" in response.body


def test_the_servers_share_sessions_through_the_database(app_servers):
    customer = personas.make_customer()
    first, second = app_servers.clients()
    response = first.post(LOGIN, {"login": customer.email, "password": personas.PASSWORD})
    assert response.status == 302
    for cookie in first.cookies:
        second.cookies.set_cookie(cookie)
    assert second.get("/account/").status == 200
