import re

from legal.diff import compare, split_blocks


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_identical_texts_have_no_changes():
    result = compare("One.\n\nTwo.", "One.\n\nTwo.\n")
    assert not result.changed
    assert [b.kind for b in result.blocks] == ["equal", "equal"]


def test_a_changed_word_is_marked_inside_its_sentence():
    result = compare("We keep inquiries for 12 months.", "We keep inquiries for 24 months.")
    assert [b.kind for b in result.blocks] == ["replace"]
    html = str(result.blocks[0].html)
    assert "<del>" in html and "<ins>" in html
    assert visible_text(html) == "We keep inquiries for Removed: [-12-]Added: {+24+} months."
    assert (result.added_words, result.removed_words) == (1, 1)


def test_added_and_removed_paragraphs_are_whole_blocks():
    old = "Intro.\n\nOld paragraph about fax numbers.\n\nOutro."
    new = "Intro.\n\nOutro.\n\nA completely new closing section."
    result = compare(old, new)
    kinds = [b.kind for b in result.blocks]
    assert kinds == ["equal", "delete", "equal", "insert"]
    assert "[-Old paragraph about fax numbers.-]" in visible_text(str(result.blocks[1].html))
    assert "{+A completely new closing section.+}" in visible_text(str(result.blocks[3].html))
    assert result.removed_words == 5 and result.added_words == 5


def test_changes_are_marked_without_relying_on_colour():
    html = str(compare("a b c", "a x c").blocks[0].html)
    assert '<span class="visually-hidden">Added: </span>' in html
    assert '<span class="visually-hidden">Removed: </span>' in html
    assert '<span class="diff-mark" aria-hidden="true">{+</span>' in html


def test_list_items_compare_one_by_one():
    old = "- email address\n- password hash\n- phone"
    new = "- email address\n- password hash\n- phone (optional)"
    result = compare(old, new)
    assert [b.kind for b in result.blocks] == ["equal", "equal", "replace"]
    assert result.added_words == 1 and result.removed_words == 0
    assert split_blocks(old) == ["email address", "password hash", "phone"]
    assert {block.role for block in result.blocks} == {"item"}


def test_the_rendered_text_is_compared_not_the_markdown():
    result = compare(
        "## Your rights\n\nWe keep **email** for a year.",
        "## Your rights\n\nWe keep **email** for two years.",
    )
    html = "".join(str(block.html) for block in result.blocks)
    assert "##" not in html and "**" not in html
    assert [block.role for block in result.blocks] == ["h2", "p"]
    assert result.added_words == 2 and result.removed_words == 2


def test_policy_text_is_escaped_in_the_comparison():
    result = compare("Safe.", "Safe.\n\n<script>alert(1)</script>")
    html = "".join(str(b.html) for b in result.blocks)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_whitespace_and_line_wrapping_are_not_changes():
    assert not compare("One long\nsentence here.", "One long sentence   here.").changed


def test_unchanged_text_far_from_a_change_is_folded_away():
    old = "\n\n".join(f"Paragraph {n}." for n in range(10))
    new = old.replace("Paragraph 5.", "Paragraph five.")
    runs = compare(old, new).sections(context=1)
    assert [(shown, len(blocks)) for shown, blocks in runs] == [(False, 4), (True, 3), (False, 3)]
    assert [b.kind for b in runs[1][1]] == ["equal", "replace", "equal"]


def test_nothing_is_folded_when_everything_is_near_a_change():
    runs = compare("One two three.\n\nFour.", "One two four.\n\nFour.").sections(context=1)
    assert [(shown, len(blocks)) for shown, blocks in runs] == [(True, 2)]
