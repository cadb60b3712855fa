import pytest

from licensing import versions
from licensing.versions import InvalidVersion, matches, parse, parse_range, sort_key

ORDERED = [
    "6.2.0",
    "6.2.1",
    "6.2.1-hotfix1",
    "6.2.1-hotfix2",
    "6.2.1-hotfix10",
    "6.2.2",
    "6.3.0-alpha1",
    "6.3.0-beta1",
    "6.3.0-rc1",
    "6.3.0-rc2",
    "6.3.0",
    "6.9.4",
    "6.10.0",
    "7.0.0",
]


def test_versions_order_as_documented():
    shuffled = list(reversed(ORDERED))
    assert sorted(shuffled, key=sort_key) == ORDERED
    assert [parse(text) for text in ORDERED] == sorted(parse(text) for text in ORDERED)


def test_numbers_compare_as_numbers_not_text():
    assert parse("6.10.0") > parse("6.2.1")
    assert parse("6.2.1-hotfix10") > parse("6.2.1-hotfix2")


def test_missing_parts_count_as_zero():
    assert parse("6.2") == parse("6.2.0")
    assert parse("6") == parse("6.0.0")
    assert str(parse(" 6.2 ")) == "6.2"


@pytest.mark.parametrize("text", ["", "v6.2.1", "6.2.1.4", "6.2.1-patch1", "6.2.1-hotfix", "latest", "6..1"])
def test_malformed_versions_are_refused_with_the_expected_form(text):
    with pytest.raises(InvalidVersion, match=r"MAJOR\.MINOR\.PATCH"):
        parse(text)
    assert versions.parse_or_none(text) is None


def test_unparseable_versions_sort_first():
    assert sorted(["6.2.0", "garbage", "6.1.0"], key=sort_key) == ["garbage", "6.1.0", "6.2.0"]


@pytest.mark.parametrize(
    ("version", "range_text", "expected"),
    [
        ("6.2.1", "6.2.x", True),
        ("6.2.1-hotfix2", "6.2.x", True),
        ("6.2.0-rc1", "6.2.x", True),
        ("6.3.0", "6.2.x", False),
        ("6.20.0", "6.2.x", False),
        ("6.1.9", "6.2.x", False),
        ("6.9.0", "6.x", True),
        ("7.0.0-beta1", "6.x", False),
        ("6.2.1", ">=6.2.0,<6.2.3", True),
        ("6.2.1-hotfix2", ">=6.2.0,<6.2.1-hotfix2", False),
        ("6.2.1-hotfix1", ">=6.2.0,<6.2.1-hotfix2", True),
        ("6.2.3", ">=6.2.0,<6.2.3", False),
        ("6.10.0", "<6.9.0", False),
        ("6.2.1", "6.2.1", True),
        ("6.2.1-hotfix1", "6.2.1", False),
        ("6.2.1", "<=6.2.1", True),
        ("6.2.2", ">6.2.1", True),
        ("not-a-version", "6.x", False),
    ],
)
def test_range_matching_on_real_version_strings(version, range_text, expected):
    assert matches(version, range_text) is expected


@pytest.mark.parametrize("text", ["", ",", ">=6.2.0,<banana", "=>6.2.0", "6.2.y"])
def test_malformed_ranges_are_refused_with_the_expected_form(text):
    with pytest.raises(InvalidVersion, match=r"6\.2\.x"):
        parse_range(text)
