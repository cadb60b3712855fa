"""The Atom feed of security advisories: a new entry per published revision."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from advisories.models import AdvisoryRevision

LATEST = 50


class AdvisoryFeed(Feed):
    feed_type = Atom1Feed
    language = "en"
    title = "Kalytera security advisories"
    description = "Security advisories for Kalytera products, and every revision of them."

    def link(self) -> str:
        return reverse("advisories:list")

    def items(self):
        return (
            AdvisoryRevision.objects.filter(published_at__isnull=False)
            .select_related("advisory")
            .order_by("-published_at", "-pk")[:LATEST]
        )

    def item_title(self, revision: AdvisoryRevision) -> str:
        suffix = "" if revision.number == 1 else f" (revision {revision.number})"
        return f"{revision.advisory.identifier}: {revision.title}{suffix}"

    def item_description(self, revision: AdvisoryRevision) -> str:
        return (
            f"Severity {revision.get_severity_display()} ({revision.base_score}). "
            f"Affected: {', '.join(revision.affected_ranges)}. "
            f"Fixed in: {', '.join(revision.fixed_versions) or 'no fix yet'}. {revision.change_summary}"
        )

    def item_link(self, revision: AdvisoryRevision) -> str:
        return revision.advisory.get_absolute_url()

    def item_guid(self, revision: AdvisoryRevision) -> str:
        return f"{revision.advisory.get_absolute_url()}#revision-{revision.number}"

    item_guid_is_permalink = False

    def item_pubdate(self, revision: AdvisoryRevision):
        return revision.published_at

    def item_updateddate(self, revision: AdvisoryRevision):
        return revision.published_at
