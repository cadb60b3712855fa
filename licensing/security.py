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


def machines_to_update(licenses: list[License]) -> dict[int, int]:
    """For each license (by pk), how many of its active machines run a version an advisory affects.

    One query for the machines and one per product (the advisories), whatever the number of licenses.
    """
    product_of = {license.pk: license.plan.product_id for license in licenses}
    reported = list(
        Activation.objects.filter(license_id__in=product_of, is_active=True)
        .exclude(product_version="")
        .values_list("license_id", "product_version")
    )
    versions_of: dict[int, set[str]] = defaultdict(set)
    for license_id, version in reported:
        versions_of[product_of[license_id]].add(version)
    affected = {
        product_id: {version for version, found in advisories_by_version(product_id, texts).items() if found}
        for product_id, texts in versions_of.items()
    }
    counts: dict[int, int] = defaultdict(int)
    for license_id, version in reported:
        if version in affected[product_of[license_id]]:
            counts[license_id] += 1
    return dict(counts)
