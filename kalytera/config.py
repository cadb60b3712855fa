"""Functions that turn environment values into Django settings, and the production gate.

Kept apart from ``settings.py`` so that the rules can be tested on their own.
"""

import ipaddress
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

INSECURE_SECRET_KEY = "django-insecure-kalytera-development-only-key-never-use-in-production"

_MAIL_SCHEMES = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "outbox.console.EmailBackend",  # prints each message once, decoded
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_TRUE = {"1", "true", "yes", "on"}


def mailer_settings(mail_url: str) -> dict:
    """Build Django 6.1 ``MAILERS`` from one URL.

    ``smtp://user:password@host:587?tls=1`` (STARTTLS), ``smtps://...:465`` (implicit TLS),
    ``console://`` (print to the terminal). An empty URL yields no mailer, which the
    production gate refuses.
    """
    if not mail_url:
        return {}
    parts = urlsplit(mail_url)
    if parts.scheme not in _MAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"MAIL_URL scheme {parts.scheme!r} is not supported; use one of {sorted(_MAIL_SCHEMES)}."
        )
    mailer: dict = {"BACKEND": _MAIL_SCHEMES[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "timeout": int(query.get("timeout", 10)),
        }
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        if parts.scheme == "smtps":
            options["use_ssl"] = True
        elif query.get("tls", "").lower() in _TRUE:
            options["use_tls"] = True
        mailer["OPTIONS"] = options
    return {"default": mailer}


# Loopback and the private ranges (RFC 1918, IPv6 unique local): where a reverse proxy on the
# same host or network connects from.
PRIVATE_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


def proxy_networks(networks: list[str]) -> list[str]:
    """``TRUSTED_PROXY_NETWORKS``, each checked to be a network (``10.0.0.0/8``) or an address."""
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXY_NETWORKS: {network!r} is not a network; write it as 10.0.0.0/8 or 192.0.2.7."
            ) from None
    return networks


def cache_settings(
    redis_url: str,
    key_prefix: str = "kalytera",
    *,
    connect_timeout: float = 0.1,
    socket_timeout: float = 0.25,
    down_seconds: float = 5,
) -> dict:
    """Redis when configured, else the database cache: both are shared by every process.

    Redis is given up on after ``connect_timeout``/``socket_timeout`` seconds and then
    left alone for ``down_seconds`` (see ``kalytera.cache``).
    """
    if redis_url:
        return {
            "default": {
                "BACKEND": "kalytera.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": key_prefix,
                "OPTIONS": {
                    "connect_timeout": connect_timeout,
                    "socket_timeout": socket_timeout,
                    "down_seconds": down_seconds,
                },
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kalytera_cache",
            "KEY_PREFIX": key_prefix,
            # The default of 300 would cull rate-limit counters early.
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        }
    }


def enforce_production_settings(
    *,
    secret_key: str,
    allowed_hosts: list[str],
    site_url: str,
    database_engine: str,
    mailers: dict,
) -> None:
    """Refuse to start in production (``DEBUG`` off) with a missing or unsafe setting."""
    problems = []
    if not secret_key:
        problems.append("SECRET_KEY is not set.")
    elif secret_key == INSECURE_SECRET_KEY or secret_key.startswith("django-insecure"):
        problems.append("SECRET_KEY is the development key; generate a new one.")
    elif len(secret_key) < 50 or len(set(secret_key)) < 5:
        problems.append("SECRET_KEY is too short or too simple (at least 50 varied characters).")
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS is empty; list the host names the platform answers to.")
    elif "*" in allowed_hosts:
        problems.append("ALLOWED_HOSTS contains '*'; list the host names instead.")
    if not site_url.startswith("https://"):
        problems.append("SITE_URL must start with https:// in production.")
    if database_engine != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point to PostgreSQL in production.")
    default_mailer = mailers.get("default", {}).get("BACKEND", "")
    if not default_mailer.endswith("smtp.EmailBackend"):
        problems.append("MAIL_URL must name an SMTP server (smtp:// or smtps://) in production.")
    if problems:
        raise ImproperlyConfigured(
            "Kalytera refuses to start with DEBUG off:\n  - "
            + "\n  - ".join(problems)
            + "\nSee the configuration table in README.md. In a development checkout, set DEBUG=true"
            " (bin/run does) to use the development defaults instead."
        )


def release_storage(*, directory: str, bucket: str, endpoint_url: str, region: str, prefix: str) -> dict:
    """The ``STORAGES`` entry for installer files: ``directory`` on disk, or an S3-compatible bucket.

    Files in the bucket stay private (no ACL, signed URLs only) and are never overwritten;
    reading one spools it to a temporary file past 8 MiB instead of holding it in memory.
    """
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": directory}}
    options: dict = {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "max_memory_size": 8 * 1024 * 1024,
    }
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if region:
        options["region_name"] = region
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
