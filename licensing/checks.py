"""Production gate for the licensing secrets (ids are stable: licensing.E001, licensing.E002)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

_MIN_LENGTH = 32


@register(Tags.security)
def check_licensing_secrets(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    for name, check_id, purpose in (
        ("LICENSING_PEPPER", "licensing.E001", "keys the hashes of license keys and fingerprints"),
        ("LICENSING_ENCRYPTION_SECRET", "licensing.E002", "seals license keys and fingerprint digests"),
    ):
        value = getattr(settings, name, "")
        if len(value) < _MIN_LENGTH or "development" in value or len(set(value)) < 10:
            errors.append(
                Error(
                    f"{name} is missing or too weak for production; it {purpose}.",
                    hint=(
                        f"Set {name} to at least {_MIN_LENGTH} random characters, e.g. "
                        "python -c 'import secrets; print(secrets.token_urlsafe(48))', and keep it "
                        "out of the database and its backups."
                    ),
                    id=check_id,
                )
            )
    return errors
