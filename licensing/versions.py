"""Product version strings, parsed and ordered: the one place that knows their format.

A Kalytera version is ``MAJOR.MINOR.PATCH`` with an optional suffix: ``6.2.1``,
``6.10.0``, ``6.2.1-hotfix2``, ``6.3.0-rc1``. Numbers compare as numbers, so 6.10.0 comes
after 6.9.4. A hotfix is built on the release it names, so it comes after it and before the
next patch (6.2.1 < 6.2.1-hotfix1 < 6.2.1-hotfix2 < 6.2.2). A pre-release (``alpha``,
``beta``, ``rc``) comes before the release it leads to (6.3.0-beta1 < 6.3.0-rc1 < 6.3.0).
A missing minor or patch number counts as 0 (6.2 equals 6.2.0).

Ranges are written ``6.2.x`` (every 6.2 version, hotfixes included) or as bounds
``>=6.2.0,<6.2.3``; ``matches`` answers whether a version falls in one.
"""

import re
from dataclasses import dataclass
from functools import total_ordering

_VERSION = re.compile(r"^(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?(?:-(alpha|beta|rc|hotfix)(\d{1,6}))?$")
# A suffix's place relative to the plain version (which ranks 0).
_SUFFIX_RANK = {"alpha": -3, "beta": -2, "rc": -1, "hotfix": 1}
_BOUND = re.compile(r"^(>=|>|<=|<|==)\s*(\S+)$")


class InvalidVersion(ValueError):
    """A string that is not a Kalytera version or range; the message says what is expected."""


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    suffix_rank: int
    suffix_number: int
    text: str

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        return (self.major, self.minor, self.patch, self.suffix_rank, self.suffix_number)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: "Version") -> bool:
        return self.key < other.key

    def __str__(self) -> str:
        return self.text

    @property
    def is_prerelease(self) -> bool:
        return self.suffix_rank < 0


def parse(text: str) -> Version:
    """``text`` as a ``Version``; raises ``InvalidVersion`` with a message a person can act on."""
    cleaned = text.strip()
    match = _VERSION.match(cleaned)
    if match is None:
        raise InvalidVersion(
            f"“{text}” is not a version. Write it as MAJOR.MINOR.PATCH, for example 6.2.1, "
            "optionally followed by -hotfixN, -rcN, -betaN or -alphaN."
        )
    major, minor, patch, suffix, number = match.groups()
    return Version(
        major=int(major),
        minor=int(minor or 0),
        patch=int(patch or 0),
        suffix_rank=_SUFFIX_RANK[suffix] if suffix else 0,
        suffix_number=int(number) if number else 0,
        text=cleaned,
    )


def parse_or_none(text: str) -> Version | None:
    """For versions reported by machines, which may be anything: ``None`` when unparseable."""
    try:
        return parse(text)
    except InvalidVersion:
        return None


def sort_key(text: str) -> tuple[int, ...]:
    """A key that orders version strings newest last; unparseable strings sort first."""
    version = parse_or_none(text)
    return (1, *version.key) if version is not None else (0,)


@dataclass(frozen=True)
class Range:
    """A set of versions: every condition in ``bounds`` holds, e.g. ``>=6.2.0,<6.2.3``."""

    bounds: tuple[tuple[str, Version], ...]
    text: str

    def __contains__(self, version: Version) -> bool:
        checks = {
            ">=": version.__ge__,
            ">": version.__gt__,
            "<=": version.__le__,
            "<": version.__lt__,
            "==": version.__eq__,
        }
        return all(checks[operator](bound) for operator, bound in self.bounds)

    def __str__(self) -> str:
        return self.text


def parse_range(text: str) -> Range:
    """``6.2.x``, ``6.x``, a single version, or comma-separated bounds such as ``>=6.2.0,<6.2.3``."""
    cleaned = text.strip()
    wildcard = re.fullmatch(r"(\d{1,6})(?:\.(\d{1,6}))?\.x", cleaned)
    if wildcard:
        major, minor = int(wildcard.group(1)), wildcard.group(2)
        if minor is None:
            low, high = parse(f"{major}.0.0-alpha0"), parse(f"{major + 1}.0.0-alpha0")
        else:
            low, high = parse(f"{major}.{minor}.0-alpha0"), parse(f"{major}.{int(minor) + 1}.0-alpha0")
        return Range(bounds=((">=", low), ("<", high)), text=cleaned)
    parts = [part.strip() for part in cleaned.split(",") if part.strip()]
    if not parts:
        raise InvalidVersion("Write a version range, for example 6.2.x or >=6.2.0,<6.2.3.")
    bounds = []
    for part in parts:
        match = _BOUND.match(part)
        operator, version_text = match.groups() if match else ("==", part)
        try:
            bounds.append((operator, parse(version_text)))
        except InvalidVersion:
            raise InvalidVersion(
                f"“{part}” is not a version bound. Write ranges as 6.2.x, 6.2.1, or bounds such as "
                ">=6.2.0,<6.2.3 (operators >=, >, <=, <, ==)."
            ) from None
    return Range(bounds=tuple(bounds), text=cleaned)


def matches(version_text: str, range_text: str) -> bool:
    """Whether the reported ``version_text`` is inside ``range_text``; never for an unparseable version."""
    version = parse_or_none(version_text)
    return version is not None and version in parse_range(range_text)
