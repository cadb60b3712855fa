"""Tags for the base layout, which every page renders: its fixed links are worked out once per process.

``{% url %}`` resolves a name on every use (fifteen times per page in the header and footer);
the links of the layout take no per-request arguments, so ``{% fixed_url %}`` keeps each answer,
by URLconf and script prefix (both fixed in production, but honoured).
"""

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_urls: dict[tuple, str] = {}


@register.simple_tag
def fixed_url(name: str, *args: str) -> str:
    """``{% url name arg %}`` for constant arguments, reversed once per process."""
    key = (get_urlconf(), get_script_prefix(), name, args)
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(name, args=args)
    return url
