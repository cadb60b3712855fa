"""System checks for the legal settings. Ids are stable: operators and tests refer to them."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_acceptance_prefixes(app_configs, **kwargs) -> list[Error]:
    prefixes = settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES
    bad = [p for p in prefixes if not (isinstance(p, str) and p.startswith("/") and p.endswith("/"))]
    if bad or not prefixes:
        return [
            Error(
                "LEGAL_ACCEPTANCE_REQUIRED_PREFIXES must list URL paths that start and end with '/'"
                + (f"; not: {', '.join(map(repr, bad))}" if bad else "; it is empty"),
                hint="A prefix without the slashes would gate more or less than the license pages, "
                "e.g. LEGAL_ACCEPTANCE_REQUIRED_PREFIXES=/licenses/",
                id="legal.E001",
            )
        ]
    return []


@register()
def check_notice_batch_size(app_configs, **kwargs) -> list[Error]:
    size = settings.LEGAL_NOTICE_BATCH_SIZE
    if not isinstance(size, int) or not 1 <= size <= 10_000:
        return [
            Error(
                f"LEGAL_NOTICE_BATCH_SIZE must be between 1 and 10000, not {size!r}.",
                hint="Each batch is one transaction; 500 keeps them short.",
                id="legal.E002",
            )
        ]
    return []
