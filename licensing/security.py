"""Which published security advisories affect the versions machines report.

The advisories app builds on licensing, so licensing asks it through the function that
``settings.LICENSING_ADVISORY_LOOKUP`` names: ``(product_id, version texts)`` to, for each
version, a list of items with ``identifier``, ``severity``, ``base_score``, ``fixed_version``,
``url`` and ``as_api()``. One query per call.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from licensing.models import Activation, License


def advisories_by_version(product_id: int, version_texts: Iterable[str]) -> dict[str, list]:
    return import_string(settings.LICENSING_ADVISORY_LOOKUP)(product_id, version_texts)


def machine_advisories(license: License, activations: list[Activation]) -> dict[int, list]:
    """For each active machine (by pk), the advisories affecting the version it reports."""
    active = [activation for activation in activations if activation.is_active]
    found = advisories_by_version(license.plan.product_id, {a.product_version for a in active})
    return {a.pk: found.get(a.product_version, []) for a in active if found.get(a.product_version)}


def reported_to_update(licenses: list[License]) -> dict[int, int]:
    """For each license (by pk), how many of its active machines run a version an advisory affects.

    The versions come with the licenses (``standing.with_machines``, ``versions_reported``); one
    advisory lookup per product, whatever the number of licenses.
    """
    versions_of: dict[int, set[str]] = defaultdict(set)
    for license in licenses:
        if reported := license.versions_reported:  # type: ignore[attr-defined]
            versions_of[license.plan.product_id].update(reported)
    affected = {
        product_id: {version for version, found in advisories_by_version(product_id, texts).items() if found}
        for product_id, texts in versions_of.items()
    }
    counts: dict[int, int] = {}
    for license in licenses:
        hit = affected.get(license.plan.product_id, set())
        versions: list[str] = license.versions_reported  # type: ignore[attr-defined]
        count = sum(1 for version in versions if version in hit)
        if count:
            counts[license.pk] = count
    return counts
