"""Tags for the base layout, which every page renders: its fixed links are worked out once per process.

``{% url %}`` resolves a name on every use (fifteen times per page in the header and footer).
The layout's links take only constant arguments, so ``{% fixed_url "name" "arg" %}`` reads
them when the template is compiled and keeps each answer, escaped, by URLconf and script
prefix (both fixed in production, but honoured).
"""

from django import template
from django.template.base import Parser, Token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_urls: dict[tuple, str] = {}


class FixedUrlNode(template.Node):
    def __init__(self, name: str, args: tuple[str, ...]) -> None:
        self.name = name
        self.args = args

    def render(self, context) -> str:
        key = (get_urlconf(), get_script_prefix(), self.name, self.args)
        url = _urls.get(key)
        if url is None:
            url = _urls[key] = conditional_escape(reverse(self.name, args=self.args))
        return url


@register.tag
def fixed_url(parser: Parser, token: Token) -> FixedUrlNode:
    """``{% url "name" "arg" %}`` for quoted constant arguments, reversed once per process."""
    bits = token.split_contents()[1:]
    if not bits or any(len(bit) < 2 or bit[0] not in "'\"" or bit[-1] != bit[0] for bit in bits):
        raise template.TemplateSyntaxError("fixed_url takes a quoted URL name and quoted constant arguments.")
    name, *args = (bit[1:-1] for bit in bits)
    return FixedUrlNode(name, tuple(args))
