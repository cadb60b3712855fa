"""Production settings (DEBUG off), exercised in separate processes as an operator would run them."""

import functools
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kalytera import settings as platform
from tests import personas
from tests.servers import PUBLIC_HOST, ROOT

pytestmark = pytest.mark.slow

COOKIES = {"__Host-sessionid", "__Host-csrftoken"}


@functools.cache
def _signing_key_directory() -> str:
    """A real signing key for the production checks, made once per test run."""
    from licensing.signing_keys import write_new_key

    directory = Path(tempfile.mkdtemp(prefix="kalytera-signing-")) / "keys"
    write_new_key(directory, activate=True)
    return str(directory)


def production_env(**overrides: str) -> dict[str, str]:
    """A valid production environment; ``overrides`` set or (with "") remove values.

    An app whose production checks need more variables (a signing key, a pepper) adds
    them here, so that ``check --deploy`` stays clean.
    """
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{PUBLIC_HOST},127.0.0.1",
        "SITE_URL": f"https://{PUBLIC_HOST}",
        "DATABASE_URL": "postgres://kalytera@127.0.0.1:5432/kalytera",
        "MAIL_URL": "smtp://mail.example:587?tls=1",
        "TRUSTED_PROXY_COUNT": "1",
        "LICENSING_PEPPER": secrets.token_urlsafe(48),
        "LICENSING_ENCRYPTION_SECRET": secrets.token_urlsafe(48),
        "PRIVACY_PEPPER": secrets.token_urlsafe(48),
        "TWO_FACTOR_ENCRYPTION_SECRET": secrets.token_urlsafe(48),
        "LICENSE_SIGNING_KEY_DIR": _signing_key_directory(),
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value != ""}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- The production gate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set."),
        (
            {"SECRET_KEY": "django-insecure-kalytera-development-only-key-never-use-in-production"},
            "SECRET_KEY is the development key",
        ),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is empty"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS contains '*'"),
        ({"SITE_URL": "http://platform.example"}, "SITE_URL must start with https://"),
        ({"DATABASE_URL": "sqlite:////tmp/kalytera.sqlite3"}, "DATABASE_URL must point to PostgreSQL"),
        ({"MAIL_URL": "console://"}, "MAIL_URL must name an SMTP server"),
        ({"MAIL_URL": ""}, "MAIL_URL must name an SMTP server"),
    ],
)
def test_production_refuses_to_start_with_an_unsafe_setting(overrides, message):
    result = manage("check", env=production_env(**overrides))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr  # a clear message, not a stack trace


def test_the_web_application_refuses_to_load_without_a_secret():
    result = subprocess.run(
        [sys.executable, "-c", "import kalytera.wsgi"],
        cwd=ROOT,
        env=production_env(SECRET_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "SECRET_KEY is not set." in result.stderr


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_settings_start_without_any_configuration():
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "DEBUG": "true"}
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


# --- A production server: cookies, headers, redirects ---------------------------------------


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """Static files collected as the image build does (hashed names, compressed)."""
    root = tmp_path_factory.mktemp("static")
    result = manage("collectstatic", "--noinput", env=production_env(STATIC_ROOT=str(root)))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def production_server(start_app_servers, collected_static, settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("The production server test needs PostgreSQL: set DATABASE_URL.")
        pytest.skip("production settings need PostgreSQL (set DATABASE_URL)")
    env = production_env(STATIC_ROOT=str(collected_static), DJANGO_SETTINGS_MODULE="kalytera.settings")
    env.pop("DATABASE_URL")  # the fixture points the server at the test database
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    # Users made by the test must carry hashes the production hashers verify.
    settings.PASSWORD_HASHERS = platform.PASSWORD_HASHERS
    return start_app_servers(count=1, **env)


def _cookie_names(response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.set_cookies}


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _static_url(html: str) -> str:
    match = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', html)
    assert match is not None, "the page links no hashed stylesheet"
    return match.group(1)


def test_production_server_sets_only_session_and_csrf_cookies_with_strict_attributes(production_server):
    customer = personas.make_customer()
    (client,) = production_server.clients(behind_tls_proxy=True)
    responses = [
        client.get(path) for path in ("/", "/accounts/signup/", "/accounts/login/", "/no-such-page/")
    ]
    responses.append(
        client.post(
            "/accounts/signup/",
            {
                "email": "new.person@example.com",
                "password1": "a-long-and-unusual-passphrase",
                "password2": "a-long-and-unusual-passphrase",
                "age_confirmed": "on",
                "policies_accepted": "on",
            },
        )
    )
    responses.append(client.get("/accounts/confirm-email/"))
    responses.append(client.post("/accounts/logout/"))
    responses.append(
        client.post("/accounts/login/", {"login": customer.email, "password": personas.PASSWORD})
    )
    assert responses[-1].status == 302, responses[-1].body
    for path in (
        "/account/",
        "/account/profile/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/sessions/",
    ):
        responses.append(client.get(path))
    responses.append(client.post("/accounts/logout/"))

    set_cookies = [header for response in responses for header in response.set_cookies]
    assert {header.split("=", 1)[0] for header in set_cookies} == COOKIES
    for header in set_cookies:
        attributes = _attributes(header)
        assert {"secure", "httponly", "samesite", "path"} <= attributes, header
        assert "samesite=lax" in header.lower().replace(" ", "")
        assert "path=/" in header.lower().replace(" ", "")
        assert "domain" not in attributes  # required by the __Host- prefix


@pytest.mark.parametrize("kind", ["page", "static", "not found", "health"])
def test_production_server_sends_every_security_header(production_server, kind):
    (client,) = production_server.clients(behind_tls_proxy=True)
    home = client.get("/")
    path = {"page": "/", "static": _static_url(home.body), "not found": "/nope/", "health": "/healthz"}[kind]
    response = client.get(path)
    assert response.status == {"page": 200, "static": 200, "not found": 404, "health": 200}[kind]
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "microphone=()" in headers["permissions-policy"]


def test_production_server_redirects_plain_http_to_https(production_server):
    (client,) = production_server.clients(behind_tls_proxy=True)
    client.headers["X-Forwarded-Proto"] = "http"
    response = client.get("/accounts/login/")
    assert response.status == 301
    assert response.location == f"https://{PUBLIC_HOST}/accounts/login/"


def test_production_static_files_are_hashed_compressed_and_cached(production_server):
    (client,) = production_server.clients(behind_tls_proxy=True)
    url = _static_url(client.get("/").body)
    response = client.get(url, **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers.get("content-encoding") == "gzip"
    # Hashed names never change, so browsers may keep them for good.
    assert "immutable" in response.headers["cache-control"]
