"""Real app server processes for tests that need more than one process.

``app_servers`` starts two gunicorn servers (one worker each, separate processes,
separate ports) against the test database. They share the cache the way production
workers do, so a test can show that rate limits, locks and sessions hold across
processes. ``HttpClient`` talks to them like a browser without JavaScript: it keeps
cookies, sends the CSRF token and does not follow redirects.

    @pytest.mark.slow
    def test_limit_holds_across_processes(app_servers):
        first, second = app_servers.clients()
        ...

The servers use ``tests.server_settings``. Data a test creates must be committed to be
seen by them, so the fixture uses ``transactional_db``. Email the servers queue stays
pending in the outbox (``tests.outbox`` reads it).

``start_app_servers(count=1, **env)`` starts servers with other environment values, e.g.
``REDIS_URL=""`` for the database cache, or production settings (see
``tests/kalytera/test_production.py``); ``clients(behind_tls_proxy=True)`` then sends
requests as a TLS proxy would forward them. ``post_json`` calls JSON APIs, and
``field_value(html, name)`` reads a form value from a page.
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30
# The name every server answers to, as behind one load balancer (in ALLOWED_HOSTS of the
# test settings). Keys that include the host (allauth's failed-login counter) then agree.
PUBLIC_HOST = "localhost"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    url: str
    set_cookies: list[str] = field(default_factory=list)  # every Set-Cookie header, as sent

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _BehindTlsProxy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies back: the TLS proxy we stand in for speaks plain HTTP to the server."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class HttpClient:
    """A cookie-keeping client for one server; POSTs carry the CSRF token like a form.

    ``host`` is the name the site answers to (the ``Host`` header), as when several
    servers stand behind one load balancer; by default the server's own address.
    ``behind_tls_proxy`` makes each request look as if a TLS proxy forwarded it
    (``X-Forwarded-Proto: https``), for servers with production settings.
    """

    def __init__(
        self,
        base_url: str,
        *,
        host: str = "",
        behind_tls_proxy: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.host = host or urllib.parse.urlsplit(base_url).netloc
        self.origin = f"{'https' if behind_tls_proxy else 'http'}://{self.host}"
        self.cookies = http.cookiejar.CookieJar(_BehindTlsProxy() if behind_tls_proxy else None)
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"} if behind_tls_proxy else {}
        self.headers = {"Host": self.host, **proxy, **(headers or {})}
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def get(self, path: str, **headers: str) -> Response:
        return self._send(urllib.request.Request(self.base_url + path, headers={**self.headers, **headers}))

    def post(self, path: str, data: dict[str, str] | None = None, **headers: str) -> Response:
        """POST a form; fetches the page first when no CSRF cookie is set yet."""
        if self.csrf_token() is None:
            self.get(path)
        form = {"csrfmiddlewaretoken": self.csrf_token() or "", **(data or {})}
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                **self.headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.origin + path,
                "Origin": self.origin,
                **headers,
            },
            method="POST",
        )
        return self._send(request)

    def post_json(self, path: str, body: bytes, **headers: str) -> Response:
        """POST a raw JSON body (APIs: no cookies needed, no CSRF token sent)."""
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={**self.headers, "Content-Type": "application/json", **headers},
            method="POST",
        )
        return self._send(request)

    def csrf_token(self) -> str | None:
        for cookie in self.cookies:
            if cookie.name.endswith("csrftoken"):
                return cookie.value
        return None

    def _send(self, request: urllib.request.Request) -> Response:
        try:
            with self._opener.open(request, timeout=30) as raw:
                return self._response(raw.status, raw.headers, raw.read(), raw.url)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            return self._response(error.code, error.headers, error.read(), error.url)

    @staticmethod
    def _response(status: int, headers, body: bytes, url: str) -> Response:
        return Response(
            status=status,
            headers={key.lower(): value for key, value in headers.items()},
            body=body.decode("utf-8", "replace"),
            url=url,
            set_cookies=headers.get_all("Set-Cookie") or [],
        )


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    log: Path


@dataclass
class AppServers:
    """A group of separate app server processes sharing one database and one cache."""

    database_url: str
    log_dir: Path
    count: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    servers: list[AppServer] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def clients(self, *, behind_tls_proxy: bool = False, **headers: str) -> list[HttpClient]:
        """One fresh client per server, all using the one public host name."""
        return [
            HttpClient(url, host=PUBLIC_HOST, behind_tls_proxy=behind_tls_proxy, headers=headers)
            for url in self.urls
        ]

    def start(self) -> "AppServers":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.server_settings",
            "DATABASE_URL": self.database_url,
            # A prefix of our own: counters from earlier runs never leak into this test.
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for index in range(self.count):
            port = free_port()
            log = self.log_dir / f"server-{index}.log"
            with log.open("wb") as log_file:  # the child keeps its own copy of the descriptor
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "kalytera.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--worker-class",
                        "sync",
                        "--timeout",
                        "60",
                        "--no-control-socket",  # the default path is shared by every gunicorn
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.servers.append(AppServer(url=f"http://127.0.0.1:{port}", process=process, log=log))
        for server in self.servers:
            _wait_until_healthy(server)
        return self

    def stop(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGTERM)
        for server in self.servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(server: AppServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"App server exited at start-up:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"App server did not answer /healthz in {STARTUP_SECONDS}s:\n{server.log.read_text()}")


def database_url_for_servers() -> str:
    """A URL for the database this test run uses (pytest-django's test database)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(params["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            reason = "separate server processes need PostgreSQL or SQLite on disk (set DATABASE_URL)"
            if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        return f"sqlite:///{name}"
    user = urllib.parse.quote(params.get("USER") or "")
    password = urllib.parse.quote(params.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{params['NAME']}"


@pytest.fixture
def start_app_servers(transactional_db, tmp_path):
    """Start app servers with extra environment, e.g. ``start_app_servers(REDIS_URL="")``
    for the database cache; every group started is stopped after the test."""
    started: list[AppServers] = []

    def start(count: int = 2, **env: str) -> AppServers:
        log_dir = tmp_path / f"servers-{len(started)}"
        log_dir.mkdir()
        servers = AppServers(
            database_url=database_url_for_servers(), log_dir=log_dir, count=count, extra_env=env
        )
        started.append(servers)
        return servers.start()

    yield start
    for servers in started:
        servers.stop()


@pytest.fixture
def app_servers(start_app_servers) -> AppServers:
    """Two separate gunicorn processes serving the test database, sharing the cache."""
    return start_app_servers()


def field_value(html: str, name: str) -> str:
    """The value of a named input in a page (hidden tokens and the like)."""
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    return match.group(1) if match else ""
