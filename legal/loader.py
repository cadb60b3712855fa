"""Loading the shipped policy texts (``legal/content/<policy>/<number>.md``) into the database.

Each file starts with a front matter block::

    ---
    title: Privacy Policy
    effective: 2026-11-23
    material: true
    summary: First version.
    ---

Loading is idempotent: a version already in the database is left alone when the file
says the same, and reported (never overwritten) when it differs, because a published
version never changes.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from legal.models import Policy, PolicyVersion

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FRONT_MATTER_KEYS = {"title", "effective", "material", "summary"}


class ContentError(Exception):
    code = "legal.content_invalid"


@dataclass(frozen=True)
class VersionFile:
    policy_slug: str
    number: int
    title: str
    effective_at: dt.datetime
    material: bool
    summary: str
    body: str
    path: Path


def parse(path: Path) -> VersionFile:
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise ContentError(f"{path}: the file must start with a front matter block between '---' lines.")
    head, body = text[4:].split("\n---\n", 1)
    meta: dict[str, str] = {}
    for line in head.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in FRONT_MATTER_KEYS:
            raise ContentError(f"{path}: unknown front matter line {line!r}.")
        meta[key.strip()] = value.strip()
    missing = FRONT_MATTER_KEYS - meta.keys()
    if missing:
        raise ContentError(f"{path}: front matter misses {', '.join(sorted(missing))}.")
    if meta["material"] not in ("true", "false"):
        raise ContentError(f"{path}: 'material' must be true or false.")
    try:
        day = dt.date.fromisoformat(meta["effective"])
    except ValueError:
        raise ContentError(f"{path}: 'effective' must be a date like 2026-11-23.") from None
    if not path.stem.isdigit():
        raise ContentError(f"{path}: name the file after its version number, e.g. 1.md.")
    return VersionFile(
        policy_slug=path.parent.name,
        number=int(path.stem),
        title=meta["title"],
        effective_at=dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC),
        material=meta["material"] == "true",
        summary=meta["summary"],
        body=body.strip() + "\n",
        path=path,
    )


def discover(content_dir: Path = CONTENT_DIR) -> list[VersionFile]:
    files = [parse(path) for path in sorted(content_dir.glob("*/*.md"))]
    known = set(Policy.Slug.values)
    for item in files:
        if item.policy_slug not in known:
            raise ContentError(f"{item.path}: no policy named {item.policy_slug!r}.")
    return sorted(files, key=lambda f: (f.policy_slug, f.number))


@transaction.atomic
def load(content_dir: Path = CONTENT_DIR) -> list[str]:
    """Create the versions the database lacks; returns one line per file for the operator."""
    report: list[str] = []
    for item in discover(content_dir):
        policy = Policy.objects.select_for_update().get(slug=item.policy_slug)
        existing = policy.versions.filter(number=item.number).first()
        if existing is not None:
            same = (existing.title, existing.body, existing.summary, existing.material) == (
                item.title,
                item.body,
                item.summary,
                item.material,
            )
            state = "already loaded" if same else "differs from the published version; left unchanged"
            report.append(f"{item.path.relative_to(content_dir)}: {state}")
            continue
        latest = policy.versions.released().order_by("-number").first()
        expected = (latest.number if latest else 0) + 1
        if item.number != expected:
            raise ContentError(f"{item.path}: the next version of {policy.name} must be {expected}.")
        if latest is not None and item.effective_at <= latest.effective_at:
            raise ContentError(f"{item.path}: must take effect after version {latest.number}.")
        now = timezone.now()
        PolicyVersion.objects.create(
            policy=policy,
            number=item.number,
            title=item.title,
            body=item.body,
            summary=item.summary,
            material=item.material,
            effective_at=item.effective_at,
            published_at=now,
            status=PolicyVersion.Status.PUBLISHED
            if item.effective_at <= now
            else PolicyVersion.Status.SCHEDULED,
        )
        report.append(f"{item.path.relative_to(content_dir)}: loaded as version {item.number}")
    return report
