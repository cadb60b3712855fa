import re

import pytest
from django.core.exceptions import ValidationError

from kalytera import text

REFUSED = ["\u202e", "\u200b", "\ufeff", "\x00", "\x1b", "\x7f", "\x85", "\u2066", "\U000e0041"]


@pytest.mark.parametrize("char", REFUSED)
def test_controls_and_format_characters_are_refused_and_named(char):
    assert text.refused_characters(f"cam{char}era") == [f"U+{ord(char):04X}"]
    assert f"U+{ord(char):04X}" in text.problem(f"cam{char}era")
    with pytest.raises(ValidationError) as refused:
        text.CharacterValidator()(f"cam{char}era")
    assert refused.value.code == "invalid_characters"


def test_ordinary_text_and_line_breaks_where_allowed_pass():
    assert text.problem("Überwachung Nord \u2013 Halle 3 ✓ 東京") == ""
    assert text.problem("line one\r\nline two\tindented", multiline=True) == ""
    assert text.problem("line one\nline two") != ""  # a single-line field refuses them


def test_the_schema_pattern_refuses_the_same_characters_in_the_basic_plane():
    pattern = re.compile(text.SINGLE_LINE_PATTERN)
    for char in REFUSED[:-1]:
        assert not pattern.match(f"a{char}b"), repr(char)
    assert pattern.match("Überwachung Nord \u2013 Halle 3")


def test_the_joiners_that_scripts_and_emoji_need_pass():
    assert text.problem("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f4bb") == ""
