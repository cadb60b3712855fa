# ruff: noqa: F811 - the fixtures of licensing and legal tests are imported by name
"""With Redis stopped or hanging, every page and API call gets its documented answer, quickly.

Each test runs against a real ``redis-server`` that the test starts on a free port, or
against a socket that accepts connections and never answers (a hung Redis). The shared
Redis of the machine is never touched. See "When a dependency fails" in the README.
"""

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from kalytera import cache as platform_cache
from kalytera import ratelimit
from kalytera import settings as platform
from kalytera.config import cache_settings
from licensing.models import CheckInDaily
from tests import personas
from tests.contact.conftest import valid_form
from tests.legal.conftest import privacy, privacy_v1  # noqa: F401 - fixtures
from tests.licensing.conftest import digest, issue, make_plan, owned_license, plan, product  # noqa: F401
from tests.servers import free_port

pytestmark = pytest.mark.django_db

# Far under a second: a hung Redis costs one 0.25 s read timeout, then the breaker skips it.
BOUND_SECONDS = 0.6


class RedisServer:
    """A private ``redis-server`` on a free loopback port, without persistence."""

    def __init__(self, port: int | None = None, *options: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server")
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class HungRedis:
    """Accepts connections (the kernel completes them) and never answers a byte."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()

    def _hold(self) -> None:
        self.socket.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                continue

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.socket.close()


def use_redis_on(port: int, settings) -> None:
    settings.CACHES = cache_settings(f"redis://127.0.0.1:{port}/0", "test-outage")
    settings.ACCOUNT_RATE_LIMITS = platform.ACCOUNT_RATE_LIMITS


@pytest.fixture(autouse=True)
def _fresh_breaker(monkeypatch) -> Iterator[None]:
    """Each test starts with Redis not yet known to be down and no per-process counts."""
    monkeypatch.setattr(ratelimit, "_local", ratelimit._LocalCounters())
    yield
    platform_cache._down_until.clear()


@pytest.fixture
def redis_server(settings) -> Iterator[RedisServer]:
    server = RedisServer()
    use_redis_on(server.port, settings)
    yield server
    server.stop()


@pytest.fixture(params=["stopped", "hanging"])
def broken_redis(request, settings) -> Iterator[str]:
    """Redis as the cache, then gone: a server that was stopped, or one that hangs."""
    login("warm-up@example.com")  # loads what a first request loads, so timings are the outage's
    if request.param == "stopped":
        server = RedisServer()
        use_redis_on(server.port, settings)
        from django.core.cache import cache

        cache.set("warm", 1)  # the platform did reach it before it stopped
        server.stop()
        yield request.param
    else:
        hung = HungRedis()
        use_redis_on(hung.port, settings)
        yield request.param
        hung.stop()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def api(client: Client, path: str, body: dict | None = None):
    if body is None:
        return client.get(f"/api/v1/{path}")
    return client.post(f"/api/v1/{path}", json.dumps(body), content_type="application/json")


def login(email: str):
    return Client().post(reverse("account_login"), {"login": email, "password": personas.PASSWORD})


def test_login_is_refused_with_the_cache_page(broken_redis, customer):
    response, seconds = timed(lambda: login(customer.email))
    assert response.status_code == 503
    assert "Sign-in briefly unavailable" in response.content.decode()
    assert response["Retry-After"] == "5"
    assert seconds < BOUND_SECONDS
    assert "_auth_user_id" not in Client().session  # nobody was signed in


def test_the_machine_api_keeps_answering_json(broken_redis, owned_license):
    key = owned_license[1]
    client = Client()
    fingerprint = digest("vms-outage")
    activated, seconds = timed(
        lambda: api(client, "activations", {"license_key": key, "fingerprint": fingerprint})
    )
    assert (activated.status_code, activated["Content-Type"]) == (201, "application/json")
    assert seconds < BOUND_SECONDS
    validated, seconds = timed(
        lambda: api(client, "validate", {"license_key": key, "fingerprint": fingerprint})
    )
    assert validated.status_code == 200
    assert validated.json()["valid"] is True
    assert seconds < BOUND_SECONDS
    # The check-in was counted in the database instead of Redis.
    assert sum(CheckInDaily.objects.values_list("count", flat=True)) == 1
    keys, seconds = timed(lambda: api(client, "signing-keys"))
    assert (keys.status_code, keys["Content-Type"]) == (200, "application/json")
    assert seconds < BOUND_SECONDS


def test_the_machine_apis_limits_still_hold_per_process(broken_redis, owned_license, settings):
    # An hourly window: a minute's fixed window could end between the requests on a busy machine.
    settings.LICENSING_API_RATE_PER_LICENSE = "2/h"
    key = owned_license[1]
    body = {"license_key": key, "fingerprint": digest("vms-outage")}
    statuses = [api(Client(), "validate", body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api(Client(), "validate", body)["Content-Type"] == "application/json"


def test_a_policy_page_is_rendered_without_the_cache(broken_redis, privacy_v1):
    response, seconds = timed(lambda: Client().get(reverse("legal:policy", args=["privacy"])))
    assert response.status_code == 200
    assert "We set a session cookie." in response.content.decode()
    assert seconds < BOUND_SECONDS


def test_the_contact_form_is_accepted_with_limits_per_process(broken_redis, settings):
    settings.CONTACT_RATE_LIMITS = ["2/m"]
    client = Client()
    response, seconds = timed(lambda: client.post(reverse("contact:form"), valid_form()))
    assert response.status_code == 302
    assert seconds < BOUND_SECONDS
    assert client.post(reverse("contact:form"), valid_form()).status_code == 302
    assert client.post(reverse("contact:form"), valid_form()).status_code == 429


@pytest.fixture
def signed_in_staff(licensing_user, staff_client_for) -> Client:
    """Signed in before the outage: signing in during one is refused (above)."""
    return staff_client_for(licensing_user)


def test_the_licensing_statistics_show_what_the_database_holds(signed_in_staff, broken_redis):
    response = signed_in_staff.get(reverse("admin:licensing_license_statistics"))
    assert response.status_code == 200
    assert "Activations and check-ins" in response.content.decode()


def test_healthz_names_the_cache_as_down(broken_redis):
    response, seconds = timed(lambda: Client().get("/healthz"))
    assert response.status_code == 200  # still serving: the load balancer keeps it
    assert response.json()["down"] == ["cache"]
    assert response.json()["status"] == "degraded"
    assert seconds < BOUND_SECONDS


def test_a_hanging_redis_is_waited_for_once_then_skipped(settings):
    hung = HungRedis()
    try:
        use_redis_on(hung.port, settings)
        from django.core.cache import cache

        first, first_seconds = timed(lambda: _fails(cache.get, "anything"))
        second, second_seconds = timed(lambda: _fails(cache.get, "anything"))
        assert first and second
        assert 0.2 < first_seconds < 0.5  # the socket timeout, once
        assert second_seconds < 0.01  # the breaker: not even a connection attempt
    finally:
        hung.stop()


def test_redis_is_used_again_once_the_down_time_has_passed(redis_server, settings, monkeypatch):
    from django.core.cache import cache

    now = [1000.0]
    monkeypatch.setattr(platform_cache.time, "monotonic", lambda: now[0])
    redis_server.stop()
    assert _fails(cache.set, "k", 1)
    restarted = RedisServer(port=redis_server.port)
    try:
        assert _fails(cache.set, "k", 1)  # within REDIS_DOWN_SECONDS: not tried
        now[0] += 5.1
        cache.set("k", 1)
        assert cache.get("k") == 1
    finally:
        restarted.stop()


@pytest.fixture
def refusing_redis(settings) -> Iterator[RedisServer]:
    """A Redis that answers every write with an error reply: a replica of a master that is gone."""
    server = RedisServer(None, "--replicaof", "127.0.0.1", str(free_port()))
    use_redis_on(server.port, settings)
    yield server
    server.stop()


def test_error_replies_count_as_an_outage(refusing_redis, customer, owned_license):
    from django.core.cache import cache

    assert _fails(cache.set, "k", 1)  # READONLY, a redis.ResponseError
    assert _fails(cache.get, "k")  # the breaker: not tried again at once
    platform_cache._down_until.clear()
    response = login(customer.email)
    assert response.status_code == 503
    assert "Sign-in briefly unavailable" in response.content.decode()
    body = {"license_key": owned_license[1], "fingerprint": digest("vms-refusing")}
    validated = api(Client(), "validate", body)
    assert (validated.status_code, validated["Content-Type"]) == (200, "application/json")


def test_a_working_redis_serves_the_login(redis_server, customer):
    assert login(customer.email).status_code == 302


def _fails(operation, *args) -> bool:
    try:
        operation(*args)
    except platform_cache.CacheUnavailable:
        return True
    return False


def test_the_machine_api_answers_503_json_once_the_outage_outlasts_the_local_limits(
    broken_redis, owned_license, settings
):
    settings.RATE_LIMIT_LOCAL_SECONDS = 0
    body = {"license_key": owned_license[1], "fingerprint": digest("vms-outage")}
    assert api(Client(), "validate", body).status_code == 200  # the outage begins
    time.sleep(0.01)
    response = api(Client(), "validate", body)
    assert (response.status_code, response["Content-Type"]) == (503, "application/json")
    assert response.json()["error"]["code"] == "UNAVAILABLE"
    assert response["Retry-After"] == "5"


# --- Sessions: the database is their source of truth, the shared cache holds copies ---------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:dashboard"))
    return response.status_code == 200 and "_auth_user_id" in client.session


def test_a_signed_in_customer_keeps_reading_pages_without_redis(customer, request):
    client = signed_in(customer)  # its session's copy went to the test cache
    request.getfixturevalue("redis_server").stop()  # another Redis, down
    platform_cache._down_until.clear()
    response, seconds = timed(lambda: client.get(reverse("accounts:dashboard")))
    assert response.status_code == 200 and "_auth_user_id" in client.session
    assert seconds < BOUND_SECONDS


def test_sessions_survive_a_redis_restart(redis_server, customer):
    client = signed_in(customer)
    from kalytera.sessions import CACHE_PREFIX

    key = client.session.session_key
    assert platform_cache.kept(CACHE_PREFIX + key) is not None  # read from the copy
    redis_server.stop()
    restarted = RedisServer(redis_server.port)  # empty: every copy is gone
    try:
        assert is_signed_in(client)  # read from the database, and copied again
        assert platform_cache.kept(CACHE_PREFIX + key) is not None
    finally:
        restarted.stop()


def test_signing_out_waits_for_redis_so_that_no_copy_signs_the_session_in_again(
    redis_server, customer, settings
):
    from django.contrib.sessions.models import Session

    from accounts.models import SecurityEvent
    from kalytera.sessions import CACHE_PREFIX

    client = signed_in(customer)
    key = client.session.session_key
    hung = HungRedis()  # Redis unreachable, its data (the session's copy) kept
    try:
        use_redis_on(hung.port, settings)
        response = client.post(reverse("account_logout"))
        assert response.status_code == 503 and response["Retry-After"]
        assert Session.objects.filter(session_key=key).exists()  # not half signed out
        assert not SecurityEvent.objects.filter(user=customer, kind=SecurityEvent.Kind.LOGOUT).exists()
    finally:
        hung.stop()
    use_redis_on(redis_server.port, settings)
    platform_cache._down_until.clear()
    assert is_signed_in(client)  # as the page said: still signed in
    assert client.post(reverse("account_logout")).status_code == 302
    assert SecurityEvent.objects.filter(user=customer, kind=SecurityEvent.Kind.LOGOUT).count() == 1
    assert not Session.objects.filter(session_key=key).exists()
    assert platform_cache.kept(CACHE_PREFIX + key) is None
    client.cookies["sessionid"] = key  # the old cookie, replayed
    assert not is_signed_in(client)
