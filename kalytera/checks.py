"""System checks for configuration that Django cannot check by itself.

Ids are stable: operators and tests refer to them.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from kalytera.ratelimit import Rate

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches)
def check_shared_cache(app_configs, **kwargs) -> list[Error]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PER_PROCESS_CACHES:
        return [
            Error(
                "The default cache is not shared between processes.",
                hint=(
                    "Rate limits live in the cache: set REDIS_URL, "
                    "or leave it empty to use the database cache."
                ),
                id="kalytera.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_mail_configured(app_configs, **kwargs) -> list[Error]:
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    if not backend.endswith("smtp.EmailBackend"):
        return [
            Error(
                "No SMTP server is configured for outgoing mail.",
                hint="Set MAIL_URL, e.g. smtp://user:password@mail.example.com:587?tls=1.",
                id="kalytera.E002",
            )
        ]
    return []


@register()
def check_password_check_rate(app_configs, **kwargs) -> list[Error]:
    try:
        Rate.parse(settings.PASSWORD_CHECK_RATE_LIMIT)
    except ValueError as error:
        return [Error(str(error), hint="Fix PASSWORD_CHECK_RATE_LIMIT, e.g. 40/s.", id="kalytera.E003")]
    return []


@register(Tags.security, deploy=True)
def check_benchmark_endpoints_off(app_configs, **kwargs) -> list[Warning]:
    if settings.BENCHMARK_ENDPOINTS:
        return [
            Warning(
                "The benchmark's reference endpoints are mounted under /_benchmark/.",
                hint="Unset BENCHMARK_ENDPOINTS: only the benchmark harness needs them.",
                id="kalytera.W003",
            )
        ]
    return []


MIN_SECRET_LENGTH = 32


def weak_secret(setting: str, check_id: str, purpose: str) -> list[Error]:
    """The production gate shared by every secret that hashes or seals data: long and random."""
    value = getattr(settings, setting, "")
    if len(value) >= MIN_SECRET_LENGTH and "development" not in value and len(set(value)) >= 10:
        return []
    return [
        Error(
            f"{setting} is missing or too weak for production; it {purpose}.",
            hint=(
                f"Set {setting} to at least {MIN_SECRET_LENGTH} random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))', and keep it "
                "out of the database and its backups."
            ),
            id=check_id,
        )
    ]


@register(Tags.security)
def check_proxy_networks(app_configs, **kwargs) -> list[Warning]:
    if settings.TRUSTED_PROXY_COUNT and not settings.TRUSTED_PROXY_NETWORKS:
        return [
            Warning(
                "TRUSTED_PROXY_COUNT is set but TRUSTED_PROXY_NETWORKS is empty: X-Forwarded-For is "
                "never read, so every client counts as the proxy's address in the rate limits.",
                hint="Name the networks the proxies connect from, or leave TRUSTED_PROXY_NETWORKS unset.",
                id="kalytera.W010",
            )
        ]
    return []
