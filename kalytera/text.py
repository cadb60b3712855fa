"""Text that people and machines send us: no control or invisible formatting characters.

Characters of the Unicode categories Cc (C0 and C1 controls, DEL) and Cf (format
characters: the bidi overrides such as U+202E, zero-width spaces, the BOM)
show nothing or reorder what a reader sees, in the admin, in emails and on the VMS, so
free text refuses them. Only the whitespace a multi-line field needs (line feed, carriage
return, tab) passes where a field allows line breaks, and the two joiners writing needs.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})
LINE_WHITESPACE = frozenset("\n\r\t")
# The zero-width non-joiner and joiner are part of writing, not hiding: Persian and Indic
# scripts need them between letters, emoji sequences (a person with a laptop) between symbols.
JOINERS = frozenset("\u200c\u200d")
# The code an API error or a form error carries when text holds such characters.
INVALID_CHARACTERS = "INVALID_CHARACTERS"


def refused_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The refused characters of ``value`` as ``U+XXXX``, first occurrence first."""
    allowed = JOINERS | LINE_WHITESPACE if multiline else JOINERS
    found = (
        char for char in value if unicodedata.category(char) in REFUSED_CATEGORIES and char not in allowed
    )
    return list(dict.fromkeys(f"U+{ord(char):04X}" for char in found))


PROBLEM_START = "Must not contain control or invisible formatting characters"


def problem(value: str, *, multiline: bool = False) -> str:
    """A sentence naming the refused characters of ``value``; empty when there are none."""
    found = refused_characters(value, multiline=multiline)
    if not found:
        return ""
    shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
    allowed = " (line breaks and tabs are fine)" if multiline else ""
    return f"{PROBLEM_START}{allowed}; found {shown}."


@deconstructible
class CharacterValidator:
    """A form and model validator for the rule above."""

    code = INVALID_CHARACTERS.lower()

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> None:
        message = problem(value, multiline=self.multiline)
        if message:
            raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharacterValidator) and other.multiline == self.multiline


def _bmp_class() -> str:
    """The refused characters of the Basic Multilingual Plane as a regex class body."""
    ranges: list[list[int]] = []
    for point in range(0x10000):
        if unicodedata.category(chr(point)) in REFUSED_CATEGORIES and chr(point) not in JOINERS:
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1][1] = point
            else:
                ranges.append([point, point])
    return "".join(
        f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}" for start, end in ranges
    )


# One line of text without refused characters, as a pattern that ECMA (JSON Schema, OpenAPI)
# and Python regexes read alike. It lists the Basic Multilingual Plane; the few format
# characters beyond it (such as the tag characters U+E0001...) are refused by the code.
SINGLE_LINE_PATTERN = f"^[^{_bmp_class()}]*$"
