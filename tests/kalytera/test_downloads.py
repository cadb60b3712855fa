"""Files to save are built one way: Django's Content-Disposition, and no cache keeps a copy."""

import re
from pathlib import Path

import pytest

from kalytera.downloads import attachment

ROOT = Path(__file__).resolve().parents[2]
APPS = ("kalytera", "accounts", "licensing", "contact", "legal", "outbox")


def test_an_attachment_names_its_file_and_is_never_cached():
    response = attachment(b"data", filename="keys.csv", content_type="text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="keys.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b"data"


def test_a_file_name_with_quotes_or_other_scripts_is_encoded_not_pasted():
    response = attachment("", filename='Zürich "prod".lic', content_type="application/octet-stream")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Z%C3%BCrich%20%22prod%22.lic"


def test_no_view_builds_the_header_by_hand():
    by_hand = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "kalytera" / "downloads.py"
        and re.search(r"""\[["']Content-Disposition["']\]\s*=""", path.read_text())
    ]
    assert by_hand == []


# --- Streamed downloads with ranges ---------------------------------------------------------------

CONTENT = bytes(range(256)) * 40  # 10240 bytes
ETAG = '"abc"'


def streamed(range_header=None, if_range=None):
    import io

    from kalytera.downloads import streamed_attachment

    return streamed_attachment(
        io.BytesIO(CONTENT),
        filename="installer.deb",
        size=len(CONTENT),
        content_type="application/octet-stream",
        etag=ETAG,
        range_header=range_header,
        if_range=if_range,
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_download_without_range_is_the_whole_file_with_its_length():
    response = streamed()
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == 'attachment; filename="installer.deb"'
    assert body(response) == CONTENT


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10200-99999", 10200, 10239),
        ("bytes=-99999", 0, 10239),
    ],
)
def test_one_range_is_answered_with_206_and_its_bytes(header, first, last):
    response = streamed(header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == CONTENT[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_a_range_outside_the_file_is_416_with_the_length(header):
    response = streamed(header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=x-", "bytes=-"])
def test_a_range_that_cannot_be_used_gets_the_whole_file(header):
    response = streamed(header)
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_a_resumed_download_of_a_changed_file_starts_again():
    assert streamed("bytes=100-", if_range='"other"').status_code == 200
    assert streamed("bytes=100-", if_range=ETAG).status_code == 206
