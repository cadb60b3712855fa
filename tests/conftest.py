import os
import shutil

import pytest
from django.core import mail
from django.db import connection

from outbox import delivery
from outbox.models import OutboundEmail
from tests import parallel, personas
from tests.api_contract import api_contract  # noqa: F401  (autouse: every /api/ error is checked)
from tests.servers import free_port

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# tests of live servers are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_ALL = os.environ.get("KALYTERA_REQUIRE_ALL") == "1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items) -> None:
    browser_ok = os.path.exists(CHROMIUM)
    for item in items:
        if "browser" in item.keywords and not browser_ok:
            if REQUIRE_ALL:
                raise pytest.UsageError(f"Browser tests need Chromium at {CHROMIUM}.")
            item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))


@pytest.fixture(autouse=True)
def _postgres_only(request) -> None:
    if request.node.get_closest_marker("postgres") is None:
        return
    if connection.vendor != "postgresql":
        if REQUIRE_ALL:
            pytest.fail("This test needs PostgreSQL: set DATABASE_URL.")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    from licensing import releases

    cache.clear()
    releases.forget_published()  # the releases each process keeps for the check-ins


@pytest.fixture
def redis_cache(settings):
    """The platform's Redis backend as the cache named "redis" (the suite's default is per process)."""
    from django.core.cache import caches

    from kalytera.config import cache_settings

    url = os.environ.get("REDIS_URL")
    if not url:
        if REQUIRE_ALL:
            pytest.fail("This test needs Redis: set REDIS_URL.")
        pytest.skip("needs Redis (set REDIS_URL)")
    settings.CACHES = {
        "default": settings.CACHES["default"],
        "redis": cache_settings(url, parallel.key_prefix("test-cache-client"))["default"],
    }
    cache = caches["redis"]
    cache.clear()
    yield cache
    cache.clear()
    cache.close()


@pytest.fixture
def redis_as_default_cache(redis_cache, settings):
    """Redis as the default cache, as in production."""
    settings.CACHES = {"default": settings.CACHES["redis"]}
    from django.core.cache import cache

    yield cache  # emptied by redis_cache


_flush = {"pending": False}


@pytest.fixture(autouse=True)
def _migration_rows_after_flush(request, django_db_blocker):
    """Transactional tests end with a flush that also removes the rows data migrations made
    (staff groups, their permissions, the policies). The next test that uses the database
    gets them back, written outside its own transaction so that they stay."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,)))
    transactional = transactional or bool({"transactional_db", "live_server"} & set(request.fixturenames))
    uses_db = transactional or marker is not None or "db" in request.fixturenames
    if uses_db and _flush["pending"]:
        from tests import migration_rows

        with django_db_blocker.unblock():
            migration_rows.restore()
        _flush["pending"] = False
    yield
    if transactional:
        _flush["pending"] = True


# --- People -------------------------------------------------------------------------------


@pytest.fixture
def customer(db):
    return personas.make_customer()


@pytest.fixture
def other_customer(db):
    return personas.make_customer("otto@other.example")


@pytest.fixture
def support_user(db):
    return personas.make_staff("sam@kalytera.example", "Support")


@pytest.fixture
def licensing_user(db):
    return personas.make_staff("lena@kalytera.example", "Licensing")


@pytest.fixture
def legal_user(db):
    return personas.make_staff("leo@kalytera.example", "Legal")


@pytest.fixture
def superuser(db):
    return personas.make_superuser()


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def staff_client_for(client):
    """A client logged in as the given staff member, with MFA set up."""

    def login(user):
        personas.give_totp(user)
        client.force_login(user)
        return client

    return login


# --- Mail -------------------------------------------------------------------------------------


@pytest.fixture
def deliver_outbox(db):
    """Deliver every queued email to Django's test outbox and return the messages."""

    def deliver() -> list:
        for email_id in OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).values_list(
            "pk", flat=True
        ):
            delivery.deliver(email_id)
        return mail.outbox

    return deliver


class MailSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_sink(settings):
    from aiosmtpd.controller import Controller

    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    sink.port = port
    yield sink
    controller.stop()


# --- Browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }


# --- Separate app server processes (tests/servers.py) --------------------------------------

from tests.servers import app_servers, start_app_servers  # noqa: E402, F401
