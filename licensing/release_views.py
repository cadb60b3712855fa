"""Release notes for everyone, and installer downloads for licensees.

The public pages and the feed set no cookie for anonymous readers (they read no session
and render no form). Downloads are for signed-in people with a license that covers the
release (``licensing.releases``); everyone else gets 404.
"""

from datetime import UTC, datetime, time
from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from kalytera.downloads import accel_attachment, attachment, streamed_attachment
from licensing import releases
from licensing.models import Release

FEED_LENGTH = 50


@require_safe
def release_list(request: HttpRequest) -> HttpResponse:
    ordered = sorted(releases.public_releases(), key=lambda release: release.product.name)
    products = [
        (product, releases.newest_first(items))
        for product, items in groupby(ordered, key=lambda release: release.product)
    ]
    return render(request, "licensing/release_list.html", {"products": products})


@require_safe
def release_detail(request: HttpRequest, product: str, version: str) -> HttpResponse:
    release = get_object_or_404(
        releases.public_releases().prefetch_related("artifacts"), product__slug=product, version=version
    )
    return render(request, "licensing/release_detail.html", {"release": release})


class ReleaseFeed(Feed):
    """The latest published releases, by release date, newest first."""

    feed_type = Atom1Feed
    language = "en"
    title = "Kalytera releases"
    description = "New versions of Kalytera products, with their release notes."

    def link(self) -> str:
        return reverse("licensing:releases")

    def items(self) -> list[Release]:
        published = releases.public_releases().filter(state=Release.State.PUBLISHED)
        return list(published.order_by("-released_on", "-pk")[:FEED_LENGTH])

    def item_title(self, release: Release) -> str:
        return f"{release.product.name} {release.version}"

    def item_description(self, release: Release) -> str:
        return str(release.notes_html) or f"{release.product.name} {release.version} is released."

    def item_pubdate(self, release: Release) -> datetime:
        return datetime.combine(release.released_on, time.min, tzinfo=UTC)

    def item_updateddate(self, release: Release) -> datetime:
        return self.item_pubdate(release)


release_feed = ReleaseFeed()


@login_required
@require_safe
def download(request: AuthenticatedHttpRequest, artifact_id) -> HttpResponseBase:
    artifact = releases.downloadable_artifact(request.user, artifact_id, timezone.now())
    if settings.RELEASE_DOWNLOAD_ACCEL_PREFIX:
        return accel_attachment(
            settings.RELEASE_DOWNLOAD_ACCEL_PREFIX + artifact.file.name,
            filename=artifact.filename,
            content_type="application/octet-stream",
        )
    return streamed_attachment(
        artifact.file.open("rb"),
        filename=artifact.filename,
        size=artifact.size,
        content_type="application/octet-stream",
        etag=f'"{artifact.sha256}"',
        range_header=request.headers.get("Range"),
        if_range=request.headers.get("If-Range"),
    )


@login_required
@require_safe
def signature(request: AuthenticatedHttpRequest, artifact_id) -> HttpResponse:
    artifact = releases.downloadable_artifact(request.user, artifact_id, timezone.now())
    return attachment(
        artifact.signature, filename=f"{artifact.filename}.sig", content_type="application/octet-stream"
    )
