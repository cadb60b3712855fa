"""Which releases a license covers, which a person may download, and release notes to show.

The rule (README, "Releases and downloads"): a license covers a *published* release of its
product while the license is active (not suspended or revoked) and

- perpetual: the release came out on or before the end of its upgrade plan (no end: every release);
- subscription or trial: the license has not expired (the grace period keeps a server
  running, but brings no new versions).

It is written three times: ``covers`` (one license and one release, in Python, for the
check-in), ``release_filter`` (the releases of one license) and ``license_filter`` (the
licenses that cover one release), as database filters; a test holds them equal.
Versions are ordered by ``licensing.versions``, never as text.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import Http404

from kalytera.prepared import PreparedLookup
from licensing import versions
from licensing.access import visible_licenses
from licensing.models import License, Plan, Release, ReleaseArtifact


def public_releases() -> QuerySet[Release]:
    """Releases anyone may read about: published and withdrawn ones, never drafts."""
    return Release.objects.exclude(state=Release.State.DRAFT).select_related("product")


def newest_first(releases) -> list[Release]:
    return sorted(releases, key=lambda release: versions.sort_key(release.version), reverse=True)


def release_filter(license: License, now: datetime) -> Q | None:
    """The releases ``license`` covers, as a filter on ``Release``; ``None`` when it covers none."""
    if license.status != License.Status.ACTIVE:
        return None
    covered = Q(state=Release.State.PUBLISHED, product_id=license.plan.product_id)
    if license.kind == Plan.Kind.PERPETUAL:
        if license.upgrade_plan_until is None:
            return covered
        return covered & Q(released_on__lte=license.upgrade_plan_until)
    if license.expires_at is not None and license.expires_at <= now:
        return None
    return covered


def license_filter(release: Release, now: datetime) -> Q:
    """The licenses that cover ``release``, as a filter on ``License`` (none for a draft or withdrawn one)."""
    if release.state != Release.State.PUBLISHED:
        return Q(pk__in=[])
    perpetual = Q(plan__kind=Plan.Kind.PERPETUAL) & (
        Q(upgrade_plan_until__isnull=True) | Q(upgrade_plan_until__gte=release.released_on)
    )
    running = ~Q(plan__kind=Plan.Kind.PERPETUAL) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return Q(status=License.Status.ACTIVE, plan__product_id=release.product_id) & (perpetual | running)


def covered_releases(license: License, now: datetime) -> list[Release]:
    """The releases ``license`` covers, newest version first."""
    condition = release_filter(license, now)
    if condition is None:
        return []
    return newest_first(
        Release.objects.filter(condition).select_related("product").prefetch_related("artifacts")
    )


# Every check-in asks for the newest covered release; a query each time would cost as much
# as the rest of the check-in. Each process keeps the published releases of a product for a
# minute instead: a release reaches the VMSs within a minute of being published.
PUBLISHED_SECONDS = 60
_published: dict[int, tuple[float, tuple[Release, ...]]] = {}
_published_lock = threading.Lock()


def published_releases(product_id: int) -> tuple[Release, ...]:
    """The published releases of a product, newest version first (kept for ``PUBLISHED_SECONDS``)."""
    now = time.monotonic()
    with _published_lock:
        entry = _published.get(product_id)
    if entry is not None and now - entry[0] < PUBLISHED_SECONDS:
        return entry[1]
    found = tuple(
        newest_first(
            Release.objects.filter(product_id=product_id, state=Release.State.PUBLISHED).select_related(
                "product"
            )
        )
    )
    with _published_lock:
        _published[product_id] = (now, found)
    return found


def forget_published() -> None:
    """Drop this process's copy (after staff change a release here; the tests between cases)."""
    with _published_lock:
        _published.clear()


def covers(license: License, release: Release, now: datetime) -> bool:
    """Whether ``license`` covers ``release``: the rule of the module, without a query."""
    if release.state != Release.State.PUBLISHED or release.product_id != license.plan.product_id:
        return False
    if license.status != License.Status.ACTIVE:
        return False
    if license.kind == Plan.Kind.PERPETUAL:
        return license.upgrade_plan_until is None or release.released_on <= license.upgrade_plan_until
    return license.expires_at is None or license.expires_at > now


def newest_covered(license: License, now: datetime) -> Release | None:
    """The newest version the license covers: what its machines may install (no query, mostly)."""
    if license.status != License.Status.ACTIVE:
        return None
    for release in published_releases(license.plan.product_id):
        if covers(license, release, now):
            return release
    return None


def downloadable_artifact(user, artifact_id, now: datetime) -> ReleaseArtifact:
    """The artifact ``artifact_id`` if a license ``user`` can see covers its release; 404 otherwise.

    404, not 403, whether the artifact does not exist, is a draft's, or is not covered: a
    customer learns nothing about releases their licenses do not reach.
    """
    artifact = (
        ReleaseArtifact.objects.select_related("release__product")
        .filter(public_id=artifact_id, release__state=Release.State.PUBLISHED)
        .first()
    )
    if artifact is None or not visible_licenses(user).filter(license_filter(artifact.release, now)).exists():
        raise Http404("No such download.")
    return artifact


@dataclass(frozen=True)
class LicenseReleases:
    """What the license page shows about versions."""

    newest: Release | None
    # The oldest version the license's active machines report (what "since" counts from).
    running: str | None
    # Published releases after ``running`` (or the newest alone when no machine reports a
    # version), oldest first, each with whether the license covers it.
    since: list[tuple[Release, bool]]
    # Withdrawn releases that active machines still run, with the reason to show.
    withdrawn_running: list[Release]


# The license page's releases: fixed SQL, compiled once per process (kalytera.prepared).
_PUBLISHED_OF = PreparedLookup(
    Release,
    lambda product_id: (
        Release.objects.filter(product_id=product_id, state=Release.State.PUBLISHED)
        .select_related("product")
        .order_by()
    ),
    product_id=int,
)


def for_license(license: License, activations, now: datetime) -> LicenseReleases:
    """What the license page shows about versions: one query for the published releases of the
    product (``covers`` picks the license's from them), one for the downloads of those shown, and
    one for withdrawn versions only when machines report a version."""
    published = newest_first(_PUBLISHED_OF.all(product_id=license.plan.product_id))
    covered = [release for release in published if covers(license, release, now)]
    covered_ids = {release.pk for release in covered}
    reported = [
        parsed
        for activation in activations
        if activation.is_active and (parsed := versions.parse_or_none(activation.product_version))
    ]
    running = min(reported) if reported else None
    if running is None:
        later = covered[:1]
    else:
        later = [
            release
            for release in published
            if (version := versions.parse_or_none(release.version)) is not None and version > running
        ]
    later.reverse()  # oldest first
    # The page lists the downloads of the covered releases it shows.
    prefetch_related_objects([release for release in later if release.pk in covered_ids], "artifacts")
    withdrawn: list[Release] = []
    if reported:
        withdrawn = newest_first(
            Release.objects.filter(
                product_id=license.plan.product_id,
                state=Release.State.WITHDRAWN,
                version__in={version.text for version in reported},
            ).select_related("product")
        )
    return LicenseReleases(
        newest=covered[0] if covered else None,
        running=running.text if running else None,
        since=[(release, release.pk in covered_ids) for release in later],
        withdrawn_running=withdrawn,
    )
