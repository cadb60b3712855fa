from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from legal.markdown import render_markdown, sanitize

HOSTILE = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "<javascript:alert(1)>",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<p onclick="alert(1)">hi</p>',
    '<svg onload="alert(1)"></svg>',
    "<iframe src='https://evil.example'></iframe>",
    "<style>body{display:none}</style>",
    '<div style="position:fixed">x</div>',
]


class Elements(HTMLParser):
    """The real elements and attributes of an HTML fragment (escaped text is not an element)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


def assert_harmless(html: str) -> None:
    found = Elements(html)
    assert not {"script", "style", "iframe", "svg", "img", "object"} & set(found.tags), found.tags
    for name, value in found.attrs:
        assert not name.startswith("on"), name
        assert name != "style"
        if name in ("href", "src"):
            scheme = urlsplit(value.strip()).scheme.lower()
            assert scheme in ("", "https", "http", "mailto"), value


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_never_lets_script_handlers_or_javascript_urls_through(text):
    assert_harmless(str(render_markdown(text)))


@pytest.mark.parametrize(
    "html",
    [
        "<p>ok<script>alert(1)</script></p>",
        '<a href="javascript:alert(1)" onclick="x()">link</a>',
        '<img src=x onerror="alert(1)">',
        '<h2 onmouseover="x()" id="a">t</h2>',
    ],
)
def test_the_sanitizer_alone_strips_scripts_handlers_and_javascript_links(html):
    # The second layer: even HTML that got past the parser is cleaned.
    cleaned = sanitize(html)
    assert_harmless(cleaned)
    assert "alert" not in cleaned.lower()


def test_raw_html_in_a_policy_is_shown_as_text():
    html = str(render_markdown('Hello <b onclick="x()">there</b>'))
    assert "&lt;b onclick=" in html
    assert "<b" not in html


def test_policy_markdown_keeps_what_a_policy_needs():
    text = (
        "# Title\n\n## Cookies\n\nWe use **two** cookies: `sessionid`.\n\n"
        "| Cookie | Lifetime |\n|---|---|\n| sessionid | 14 days |\n\n"
        "[Privacy](/legal/privacy/) · [mail](mailto:security@kalytera.example) · [site](https://kalytera.example)"
    )
    html = str(render_markdown(text))
    assert '<h2 id="section-title">Title</h2>' in html  # the page has the only <h1>
    assert '<h2 id="section-cookies">Cookies</h2>' in html
    assert "<strong>two</strong>" in html and "<code>sessionid</code>" in html
    assert "<table>" in html and "<td>14 days</td>" in html
    assert 'href="/legal/privacy/"' in html
    assert 'href="mailto:security@kalytera.example"' in html
    assert 'href="https://kalytera.example"' in html
    assert "<h1" not in html


def test_repeated_headings_get_distinct_anchors():
    html = str(render_markdown("## Scope\n\n## Scope"))
    assert 'id="section-scope"' in html and 'id="section-scope-2"' in html
