"""A readable comparison of two policy texts.

The Markdown source is compared block by block (paragraphs, list items, headings),
then word by word inside a block that changed, so a reader sees a sentence with the
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

_BLOCK_SPLIT = re.compile(r"\n\s*\n")
_LIST_ITEM = re.compile(r"\n(?=\s*(?:[-*+]|\d+[.)])\s)")
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Block:
    """One block of the comparison: ``equal``, ``insert``, ``delete`` or ``replace``."""

    kind: str
    html: SafeString


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
    """Paragraphs, and each list item on its own, with whitespace normalised."""
    blocks: list[str] = []
    for paragraph in _BLOCK_SPLIT.split(text.replace("\r\n", "\n").strip()):
        for item in _LIST_ITEM.split(paragraph):
            normalised = " ".join(item.split())
            if normalised:
                blocks.append(normalised)
    return blocks


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
    """Compare two Markdown texts; the result's HTML is escaped and safe to show."""
    old_blocks = split_blocks(old_text)
    new_blocks = split_blocks(new_text)
    comparison = Comparison()
    matcher = difflib.SequenceMatcher(None, old_blocks, new_blocks, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            comparison.blocks += [Block("equal", mark_safe(escape(b))) for b in old_blocks[i1:i2]]  # noqa: S308
        elif op == "delete":
            for block in old_blocks[i1:i2]:
                comparison.removed_words += _word_count(block)
                comparison.blocks.append(Block("delete", mark_safe(_deleted(block))))  # noqa: S308
        elif op == "insert":
            for block in new_blocks[j1:j2]:
                comparison.added_words += _word_count(block)
                comparison.blocks.append(Block("insert", mark_safe(_inserted(block))))  # noqa: S308
        else:
            _replace(old_blocks[i1:i2], new_blocks[j1:j2], comparison)
    return comparison


def _replace(old_blocks: list[str], new_blocks: list[str], comparison: Comparison) -> None:
    """Pair blocks that are similar enough to read as an edit; the rest are removed or added."""
    pairs = max(len(old_blocks), len(new_blocks))
    for index in range(pairs):
        old = old_blocks[index] if index < len(old_blocks) else None
        new = new_blocks[index] if index < len(new_blocks) else None
        if old is not None and new is not None and _similar(old, new):
            html = _inline_diff(old, new, comparison)
            comparison.blocks.append(Block("replace", mark_safe(html)))  # noqa: S308
            continue
        if old is not None:
            comparison.removed_words += _word_count(old)
            comparison.blocks.append(Block("delete", mark_safe(_deleted(old))))  # noqa: S308
        if new is not None:
            comparison.added_words += _word_count(new)
            comparison.blocks.append(Block("insert", mark_safe(_inserted(new))))  # noqa: S308


def _similar(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False).ratio() >= 0.4
