"""Checks every server-rendered page must pass: one h1, labelled fields, strict-CSP markup,
nothing loaded from another host. Use ``page_problems(html)`` in any app's tests:

    assert page_problems(response.content.decode()) == []
"""

import re
from html.parser import HTMLParser

_FIELDS = {"input", "select", "textarea"}
_UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
# Attributes that make the browser fetch something or send a form somewhere.
_FETCHING = {("script", "src"), ("link", "href"), ("img", "src"), ("form", "action"), ("iframe", "src")}
_FETCHING |= {("source", "src"), ("video", "src"), ("audio", "src"), ("object", "data"), ("embed", "src")}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1_count = 0
        self.labels: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.problems: list[str] = []
        self.landmarks: set[str] = set()
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = attributes.get("lang", "")
        if tag == "h1":
            self.h1_count += 1
        if tag in {"main", "header", "footer", "nav"}:
            self.landmarks.add(tag)
        if tag == "label" and attributes.get("for"):
            self.labels.add(attributes["for"])
        if tag in _FIELDS:
            self.fields.append({"tag": tag, **attributes})
        if tag == "style":
            self.problems.append("inline <style> element (blocked by the CSP)")
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.problems.append("inline <script> (blocked by the CSP)")
        for name, value in attributes.items():
            if name == "style":
                self.problems.append(f"style attribute on <{tag}> (blocked by the CSP)")
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}> (blocked by the CSP)")
            if (tag, name) in _FETCHING and _is_other_host(value):
                self.problems.append(f"<{tag} {name}={value!r}> reaches another host")
            if name == "href" and value.lower().startswith("javascript:"):
                self.problems.append(f"javascript: link on <{tag}>")


def _is_other_host(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//")) and not url.startswith(
        ("http://testserver/", "https://testserver/", "http://localhost", "http://127.0.0.1")
    )


def page_problems(html: str) -> list[str]:
    """What is wrong with a full HTML page, as sentences; empty when nothing is."""
    parser = _PageParser()
    parser.feed(html)
    problems = list(parser.problems)
    if parser.h1_count != 1:
        problems.append(f"{parser.h1_count} <h1> elements instead of one")
    if not parser.lang:
        problems.append("no lang attribute on <html>")
    missing = {"main", "header", "footer", "nav"} - parser.landmarks
    if missing:
        problems.append(f"landmarks missing: {sorted(missing)}")
    for field in parser.fields:
        if field["tag"] == "input" and field.get("type", "text") in _UNLABELLED_INPUT_TYPES:
            continue
        labelled = field.get("id") in parser.labels or field.get("aria-label") or field.get("aria-labelledby")
        if not labelled:
            problems.append(f"<{field['tag']} name={field.get('name')!r}> has no label")
    return problems


# One word for each account action, in sentence case: "Sign in", "Sign out", "Create account".
FORBIDDEN_WORDING = {
    r"\bSign In\b": "Sign in",
    r"\bSign Out\b": "Sign out",
    r"\b[Ss]ign[ -]?[Uu]p\b": "Create account",
    r"\b[Ll]og ?[Ii]n\b": "Sign in",
    r"\b[Ll]og ?[Oo]ut\b": "Sign out",
    r"\b[Rr]egister\b": "Create account",
}
# Words that keep their capital inside a sentence-case heading or button.
_PROPER = {
    "Kalytera",
    "VMS",
    "API",
    "Machine",
    "UTC",
    "PDF",
    "CSV",
    "JSON",
    "TOTP",
    "ID",
    "I",
    "OK",
    "Enterprise",
}
_HEADINGS = {"h1", "h2", "h3", "button", "caption", "th", "legend", "title"}
_SMALL = re.compile(r"^[A-Z][a-z]+$")


class _WordingParser(HTMLParser):
    """Collects the visible text of a page, and separately that of headings and buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headings: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "input" and attributes.get("type") == "submit" and attributes.get("value"):
            self.text.append(attributes["value"])
            self.headings.append(attributes["value"])
        if tag not in {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if {"script", "style", "code", "pre", "kbd", "samp"} & set(self.open) or not data.strip():
            return
        self.text.append(data)
        if self.open and self.open[-1] in _HEADINGS:
            self.headings.append(data.strip())


def wording_problems(html: str) -> list[str]:
    """Mixed names for the same account action, and Title Case in headings and buttons."""
    parser = _WordingParser()
    parser.feed(html)
    problems = []
    text = " ".join(" ".join(parser.text).split())
    for pattern, instead in FORBIDDEN_WORDING.items():
        for found in sorted(set(re.findall(pattern, text))):
            problems.append(f"{found!r} where the site says {instead!r}")
    for heading in parser.headings:
        words = re.findall(r"[\w'\u2019-]+", heading)
        capitals = [word for word in words[1:] if _SMALL.match(word) and word not in _PROPER]
        if capitals:
            problems.append(f"Title Case in {heading!r}: write it in sentence case")
    return problems
