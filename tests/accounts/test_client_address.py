"""Behind one trusted proxy, allauth's limits count the client, not the proxy."""

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from kalytera import settings as platform

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


@pytest.fixture
def limits(settings):
    settings.ACCOUNT_RATE_LIMITS = {**platform.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]


_accounts = itertools.count()


def post_many(forwarded_for: str, times: int) -> list[int]:
    """Failed logins through the proxy; each names a new account, so only the per-address
    limit can refuse them."""
    client = Client(HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR="10.0.0.2")
    return [
        client.post(
            LOGIN, {"login": f"someone{next(_accounts)}@example.com", "password": "wrong"}
        ).status_code
        for _ in range(times)
    ]


def test_clients_behind_the_proxy_are_counted_apart(limits):
    assert post_many("203.0.113.1", 4) == [200, 200, 200, 429]
    assert post_many("203.0.113.2", 1) == [200]


def test_addresses_a_client_writes_in_front_are_ignored(limits):
    # The client claims new addresses; the proxy appends the one it saw, which is counted.
    statuses = [post_many(f"198.51.100.{n}, 203.0.113.7", 1)[0] for n in range(4)]
    assert statuses == [200, 200, 200, 429]
