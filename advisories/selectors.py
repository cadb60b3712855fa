"""Which published advisories affect a version: for the license pages and the machine API.

``affecting`` is what ``settings.LICENSING_ADVISORY_LOOKUP`` names: licensing calls it without
importing this app. One query per call, whatever the number of machines.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from advisories.models import Advisory, AdvisoryRevision


@dataclass(frozen=True)
class Applicable:
    """A published advisory that affects one reported version, and what to update to."""

    identifier: str
    title: str
    severity: str
    base_score: Decimal
    fixed_version: str
    url: str

    def as_api(self) -> dict:
        return {
            "id": self.identifier,
            "title": self.title,
            "severity": self.severity,
            "score": float(self.base_score),
            "fixed_version": self.fixed_version or None,
            "url": self.url,
        }


def published(product_id: int | None = None) -> list[AdvisoryRevision]:
    """The current revision of every published advisory (of one product), newest advisory first."""
    advisories = Advisory.objects.filter(current__isnull=False).select_related("current__advisory")
    if product_id is not None:
        advisories = advisories.filter(product_id=product_id)
    revisions = []
    for advisory in advisories.order_by("-identifier"):
        assert advisory.current is not None  # filtered above
        revisions.append(advisory.current)
    return revisions


def affecting(product_id: int, version_texts: Iterable[str]) -> dict[str, list[Applicable]]:
    """For each version text, the published advisories of the product that affect it (most severe first)."""
    revisions = published(product_id)
    answer: dict[str, list[Applicable]] = {}
    for text in set(version_texts):
        applicable = [
            Applicable(
                identifier=revision.advisory.identifier,
                title=revision.title,
                severity=revision.severity,
                base_score=revision.base_score,
                fixed_version=revision.fixed_version_for(text),
                url=settings.SITE_URL + revision.advisory.get_absolute_url(),
            )
            for revision in revisions
            if text and revision.affects(text)
        ]
        answer[text] = sorted(applicable, key=lambda item: item.base_score, reverse=True)
    return answer
