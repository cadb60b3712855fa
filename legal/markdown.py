"""Policy text: Markdown in, safe HTML out.

markdown-it-py (CommonMark) parses with raw HTML switched off, so tags typed into a
policy come out as text; nh3 then keeps only the tags, attributes and URL schemes a
policy needs. Two layers, because a policy is written by staff but read by everyone:
an event handler, a ``<script>`` or a ``javascript:`` link must never reach a page,
even if a staff account is misused.
"""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "dd",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"https", "http", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _fit_headings(state) -> None:
    """The page title is the one ``<h1>``: a policy's headings are kept between ``<h2>`` and ``<h4>``.

    Each heading also gets an id (``section-<slug>``) so a section can be linked to.
    """
    seen: set[str] = set()
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        level = min(max(int(token.tag[1]), 2), 4)
        token.tag = f"h{level}"
        if token.type == "heading_open":
            text = tokens[index + 1].content if index + 1 < len(tokens) else ""
            anchor = base = f"section-{slugify(text) or 'part'}"
            counter = 2
            while anchor in seen:
                anchor = f"{base}-{counter}"
                counter += 1
            seen.add(anchor)
            token.attrSet("id", anchor)


_parser.core.ruler.push("fit_headings", _fit_headings)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@lru_cache(maxsize=64)
def render_markdown(text: str) -> SafeString:
    """Render policy Markdown to sanitized HTML (cached: published text never changes)."""
    return mark_safe(sanitize(_parser.render(text)))  # noqa: S308  (sanitized just above)


def text_blocks(text: str) -> list[tuple[str, str]]:
    """The text a reader sees, block by block: ``(role, text)`` with role ``h2``-``h4``,
    ``item`` (a list item) or ``p``. Markup (``**``, ``#``, link targets) is gone."""
    blocks: list[tuple[str, str]] = []
    open_blocks: list[str] = []
    for token in _parser.parse(text):
        if token.nesting == 1:
            open_blocks.append(token.tag if token.type == "heading_open" else token.type)
        elif token.nesting == -1 and open_blocks:
            open_blocks.pop()
        elif token.type in ("inline", "code_block", "fence"):
            words = " ".join(_plain(token).split())
            if not words:
                continue
            role = next((b for b in reversed(open_blocks) if b in ("h2", "h3", "h4")), None)
            if role is None:
                role = "item" if "list_item_open" in open_blocks else "p"
            blocks.append((role, words))
    return blocks


def _plain(token) -> str:
    if token.type != "inline":
        return token.content
    return "".join(
        " " if child.type in ("softbreak", "hardbreak") else child.content for child in token.children or ()
    )
