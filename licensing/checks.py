"""Production gate for the licensing secrets (ids are stable: licensing.E001, licensing.E002)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from kalytera.checks import weak_secret


@register(Tags.security)
def check_licensing_secrets(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    return [
        *weak_secret("LICENSING_PEPPER", "licensing.E001", "keys the hashes of license keys and machines"),
        *weak_secret(
            "LICENSING_ENCRYPTION_SECRET", "licensing.E002", "seals license keys and fingerprint digests"
        ),
    ]
