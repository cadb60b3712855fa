"""Files to save are built one way: Django's Content-Disposition, and no cache keeps a copy."""

import re
from pathlib import Path

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
