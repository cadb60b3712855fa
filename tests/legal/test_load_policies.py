import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from legal import loader
from legal.models import Policy, PolicyVersion

pytestmark = pytest.mark.django_db


def write(directory, slug: str, number: int, front: str, body: str = "Text.") -> None:
    folder = directory / slug
    folder.mkdir(exist_ok=True)
    (folder / f"{number}.md").write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")


FRONT = "title: Terms\neffective: 2026-01-01\nmaterial: true\nsummary: First."


def test_the_command_loads_the_shipped_policies_once(db):
    out = StringIO()
    call_command("load_policies", stdout=out)
    assert "loaded as version 1" in out.getvalue()
    call_command("load_policies", stdout=out)
    assert "already loaded" in out.getvalue()
    assert PolicyVersion.objects.count() == len(list(loader.CONTENT_DIR.glob("*/*.md")))
    for policy in Policy.objects.all():
        version = policy.version_in_force()
        assert version.status == PolicyVersion.Status.PUBLISHED and version.effective_at <= timezone.now()


def test_a_file_that_differs_from_its_published_version_never_overwrites_it(db, tmp_path):
    write(tmp_path, "terms", 1, FRONT, "Original.")
    loader.load(tmp_path)
    write(tmp_path, "terms", 1, FRONT, "Edited afterwards.")
    assert loader.load(tmp_path) == ["terms/1.md: differs from the published version; left unchanged"]
    assert PolicyVersion.objects.get().body == "Original.\n"


@pytest.mark.parametrize(
    ("slug", "number", "front", "problem"),
    [
        ("terms", 1, "title: Terms\neffective: 2026-01-01\nmaterial: true", "misses summary"),
        ("terms", 1, FRONT.replace("true", "yes"), "'material' must be true or false"),
        ("terms", 1, FRONT.replace("2026-01-01", "January"), "'effective' must be a date"),
        ("terms", 1, FRONT + "\nauthor: me", "unknown front matter line"),
        ("terms", 2, FRONT, "must be 1"),
        ("cookies", 1, FRONT, "no policy named 'cookies'"),
    ],
)
def test_broken_content_files_stop_the_command_with_the_reason(db, tmp_path, slug, number, front, problem):
    write(tmp_path, slug, number, front)
    with pytest.raises(loader.ContentError, match=problem):
        loader.load(tmp_path)
    assert not PolicyVersion.objects.exists()


def test_the_command_reports_broken_content_with_its_code(db, tmp_path, monkeypatch):
    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "1.md").write_text("no front matter", encoding="utf-8")
    real_load = loader.load
    monkeypatch.setattr(loader, "load", lambda: real_load(tmp_path))
    with pytest.raises(CommandError, match=r"legal\.content_invalid"):
        call_command("load_policies")


# --- The shipped texts keep the platform's promises ---------------------------------------------


def shipped(slug: str) -> str:
    return " ".join((loader.CONTENT_DIR / slug / "1.md").read_text(encoding="utf-8").split())


def test_the_privacy_policy_states_every_promise_of_the_product():
    text = shipped("privacy")
    for fact in [
        "login identifier",
        "Argon2id",
        "anonymized machine identifier",
        "keyed hash",
        "license type",
        "anonymous and aggregated",
        "name, email address, company, phone number",
        "security notices",
        "security updates",
        "audit trail",
        "license expiry reminders",
        "HTTPS",
        "authorized staff",
        "two-factor authentication",
        "no advertising, analytics or tracking cookies",
        "Deleted accounts are purged within 30 days",
        "not intended for people under 16",
        "Last updated",
        "Material changes are announced",
        "portability",
        "IP address and the browser details",
    ]:
        assert fact.lower() in text.lower(), fact


def test_the_privacy_policy_lists_exactly_the_cookies_the_platform_sets():
    text = shipped("privacy")
    named = set(re.findall(r"`((?:__Host-)?[a-z_]+)`", text))
    assert named >= {
        settings.SESSION_COOKIE_NAME.removeprefix("__Host-"),
        settings.CSRF_COOKIE_NAME.removeprefix("__Host-"),
        "__Host-sessionid",
        "__Host-csrftoken",
    }
    assert named - {"__Host-"} <= {"sessionid", "csrftoken", "__Host-sessionid", "__Host-csrftoken"}


def test_the_privacy_policy_states_the_retention_periods():
    text = shipped("privacy")
    for period in [
        "24 months after the inquiry is closed",
        "spam are deleted after 30 days",
        "Security timeline of your account (sign-ins, security changes) | 12 months",
        "purged within 30 days",
    ]:
        assert period in text, period


def test_the_privacy_policy_explains_how_to_use_each_right():
    text = shipped("privacy")
    assert 'privacy center under "Your account"' in text
    for right in ["Access", "Portability", "Correction", "Deletion", "Restriction and objection"]:
        assert f"**{right}**" in text, right


def test_the_disclosure_policy_covers_reporting_times_safe_harbour_and_advisories():
    text = shipped("vulnerability-disclosure")
    contact = settings.SECURITY_CONTACTS[0].removeprefix("mailto:")
    assert contact in text
    for part in ["## How to report", "Please include", "within 3 working days", "within 90 days"]:
        assert part in text, part
    for part in ["## Safe harbour", "## How we publish advisories", "CVSS", "CVE"]:
        assert part in text, part
