"""Where a license's pages are: paths for the portal's pages, absolute addresses for emails.

Both come from the URL configuration (``reverse``), so they follow a deployment under a path
prefix (``FORCE_SCRIPT_NAME``); emails put ``SITE_URL`` in front, as every email link does.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from licensing.models import License


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
