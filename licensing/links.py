"""Where a license's pages are: paths for the portal's pages, absolute addresses for emails.

Both come from the URL configuration (``reverse``), so they follow a deployment under a path
prefix (``FORCE_SCRIPT_NAME``); emails put ``SITE_URL`` in front, as every email link does.
"""

from functools import cache
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from licensing.models import License

_PLACEHOLDER = UUID(int=0)


@cache
def _detail_path_around(script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    path = reverse("licensing:detail", kwargs={"license_id": _PLACEHOLDER})
    before, _, after = path.partition(str(_PLACEHOLDER))
    return before, after


def detail_path(license: License) -> str:
    """The license's page, as ``reverse`` gives it; reversed once per process (lists have many)."""
    before, after = _detail_path_around(get_script_prefix(), get_urlconf())
    return f"{before}{license.public_id}{after}"


def contact_url(license: License) -> str:
    """The contact form, prefilled for a licensing inquiry about this license (by its display prefix)."""
    query = urlencode({"topic": "licensing", "license": license.key_prefix})
    return f"{reverse('contact:form')}?{query}"


def email_links(license: License) -> dict[str, str]:
    """The addresses a license's emails link to: its page and the contact form about it."""
    return {
        "license_url": settings.SITE_URL + reverse("licensing:detail", args=[license.public_id]),
        "contact_url": settings.SITE_URL + contact_url(license),
    }
