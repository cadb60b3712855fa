"""Atom feeds of policy changes: every policy's, and one policy's (scheduled versions too:
the feed announces them)."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from legal.models import Policy, PolicyVersion

LATEST = 50


class PolicyChanges(Feed):
    feed_type = Atom1Feed
    language = "en"
    description = "New versions of the Kalytera policies, with a summary of each change."

    def get_object(self, request, slug: str | None = None) -> Policy | None:
        return get_object_or_404(Policy, slug=slug) if slug else None

    def title(self, policy: Policy | None) -> str:
        return f"{policy.name}: changes" if policy else "Kalytera policies: changes"

    def link(self, policy: Policy | None) -> str:
        return policy.get_absolute_url() if policy else reverse("legal:index")

    def items(self, policy: Policy | None):
        versions = PolicyVersion.objects.released().select_related("policy").order_by("-published_at", "-pk")
        if policy is not None:
            versions = versions.filter(policy=policy)
        return versions[:LATEST]

    def item_title(self, version: PolicyVersion) -> str:
        return f"{version.policy.name}, version {version.number}"

    def item_description(self, version: PolicyVersion) -> str:
        kind = "Material change" if version.material else "Editorial change"
        return f"{kind}, effective {version.effective_at:%d %B %Y %H:%M} UTC. {version.summary}"

    def item_pubdate(self, version: PolicyVersion):
        return version.published_at

    def item_updateddate(self, version: PolicyVersion):
        return version.published_at
