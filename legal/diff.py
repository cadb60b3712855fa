"""A readable comparison of two policy texts.

The rendered text is compared (what a reader sees, without Markdown's ``##`` and ``**``),
block by block (paragraphs, list items, headings), then word by word inside a block that
changed, so a reader sees a sentence with the
changed words marked rather than two whole paragraphs. Changes are marked three
ways, so that none depends on colour: ``<ins>``/``<del>`` elements (underlined and
struck through), visible ``{+ +}`` and ``[- -]`` brackets in the style of wdiff, and
words for screen readers.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from legal.markdown import text_blocks

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Block:
    """One block of the comparison: ``equal``, ``insert``, ``delete`` or ``replace``."""

    kind: str
    html: SafeString
    role: str = "p"  # h2-h4, item or p: how the block reads in the policy


@dataclass
class Comparison:
    blocks: list[Block] = field(default_factory=list)
    added_words: int = 0
    removed_words: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added_words or self.removed_words)

    def sections(self, context: int = 1) -> list[tuple[bool, list[Block]]]:
        """The blocks in runs: ``(True, blocks)`` to show, ``(False, blocks)`` to fold away.

        Unchanged text more than ``context`` blocks away from a change is folded, so a long
        policy with one changed sentence reads as that sentence with its neighbours.
        """
        near_change = [False] * len(self.blocks)
        for index, block in enumerate(self.blocks):
            if block.kind != "equal":
                for near in range(max(index - context, 0), min(index + context + 1, len(self.blocks))):
                    near_change[near] = True
        runs: list[tuple[bool, list[Block]]] = []
        for block, shown in zip(self.blocks, near_change, strict=True):
            if runs and runs[-1][0] == shown:
                runs[-1][1].append(block)
            else:
                runs.append((shown, [block]))
        return runs


def split_blocks(text: str) -> list[str]:
    """The rendered text of each paragraph, list item and heading, whitespace normalised."""
    return [words for _role, words in text_blocks(text)]


def _marked(tag: str, spoken: str, opening: str, closing: str, text: str) -> str:
    return (
        f'<{tag}><span class="visually-hidden">{spoken}: </span>'
        f'<span class="diff-mark" aria-hidden="true">{opening}</span>{escape(text)}'
        f'<span class="diff-mark" aria-hidden="true">{closing}</span></{tag}>'
    )


def _inserted(text: str) -> str:
    return _marked("ins", "Added", "{+", "+}", text)


def _deleted(text: str) -> str:
    return _marked("del", "Removed", "[-", "-]", text)


def _word_count(text: str) -> int:
    return len(text.split())


def _inline_diff(old: str, new: str, comparison: Comparison) -> str:
    old_tokens = _TOKENS.findall(old)
    new_tokens = _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    parts: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed = "".join(old_tokens[i1:i2])
        added = "".join(new_tokens[j1:j2])
        if op == "equal":
            parts.append(escape(removed))
            continue
        if removed.strip():
            parts.append(_deleted(removed))
            comparison.removed_words += _word_count(removed)
        if added.strip():
            parts.append(_inserted(added))
            comparison.added_words += _word_count(added)
        elif not removed.strip():
            parts.append(escape(added))  # only whitespace moved
    return "".join(parts)


def compare(old_text: str, new_text: str) -> Comparison:
    """Compare the rendered text of two Markdown documents; the result's HTML is escaped."""
    old_roles, old_blocks = _unzip(text_blocks(old_text))
    new_roles, new_blocks = _unzip(text_blocks(new_text))
    comparison = Comparison()
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            comparison.blocks += [
                Block("equal", mark_safe(escape(block)), role)  # noqa: S308
                for block, role in zip(old_blocks[i1:i2], old_roles[i1:i2], strict=True)
            ]
        else:
            _replace(
                list(zip(old_blocks[i1:i2], old_roles[i1:i2], strict=True)),
                list(zip(new_blocks[j1:j2], new_roles[j1:j2], strict=True)),
                comparison,
            )
    return comparison


def _unzip(blocks: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [role for role, _ in blocks], [words for _, words in blocks]


def _replace(
    old_blocks: list[tuple[str, str]], new_blocks: list[tuple[str, str]], comparison: Comparison
) -> None:
    """Pair blocks that are similar enough to read as an edit; the rest are removed or added."""
    for index in range(max(len(old_blocks), len(new_blocks))):
        old, old_role = old_blocks[index] if index < len(old_blocks) else (None, "p")
        new, new_role = new_blocks[index] if index < len(new_blocks) else (None, "p")
        if old is not None and new is not None and _similar(old, new):
            html = _inline_diff(old, new, comparison)
            comparison.blocks.append(Block("replace", mark_safe(html), new_role))  # noqa: S308
            continue
        if old is not None:
            comparison.removed_words += _word_count(old)
            comparison.blocks.append(Block("delete", mark_safe(_deleted(old)), old_role))  # noqa: S308
        if new is not None:
            comparison.added_words += _word_count(new)
            comparison.blocks.append(Block("insert", mark_safe(_inserted(new)), new_role))  # noqa: S308


def _similar(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio() >= 0.4
