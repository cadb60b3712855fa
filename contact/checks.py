"""System checks for the contact desk's settings (ids are stable)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from kalytera.ratelimit import Rate


@register()
def check_rates(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in ("CONTACT_RATE_LIMITS", "CONTACT_ACK_RATE_LIMIT"):
        value = getattr(settings, name)
        for rate in [value] if isinstance(value, str) else value:
            try:
                Rate.parse(rate)
            except ValueError as exc:
                errors.append(Error(f"{name}: {exc}", id="contact.E001"))
    return errors


@register(Tags.security, deploy=True)
def check_support_addresses(app_configs, **kwargs) -> list[Error]:
    if not settings.SUPPORT_EMAILS or not settings.CONTACT_EMAIL:
        return [
            Error(
                "No support address: nobody would hear of new inquiries.",
                hint="Set SUPPORT_EMAILS (comma-separated) and, if different, CONTACT_EMAIL.",
                id="contact.E002",
            )
        ]
    return []
