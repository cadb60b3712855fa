"""CSAF 2.0: advisories as ``csaf_security_advisory`` documents, the provider metadata, and the schemas.

The OASIS schemas (and the FIRST CVSS schemas they reference) are vendored in ``schemas/``
with their license; every reference resolves from there, never from the network.
Documents are rendered deterministically from the database (same data, same bytes), so the
hashes served next to them stay valid.
"""

import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema_rs
from django.conf import settings
from django.urls import reverse

from advisories.models import Advisory, AdvisoryRevision

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
CSAF_SCHEMA_URI = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
PROVIDER_SCHEMA_URI = "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json"
_LOCAL_SCHEMAS = {
    CSAF_SCHEMA_URI: "csaf_json_schema.json",
    PROVIDER_SCHEMA_URI: "provider_json_schema.json",
    "https://www.first.org/cvss/cvss-v2.0.json": "cvss-v2.0.json",
    "https://www.first.org/cvss/cvss-v3.0.json": "cvss-v3.0.json",
    "https://www.first.org/cvss/cvss-v3.1.json": "cvss-v3.1.json",
}
TLP_DIRECTORY = "white"  # every advisory published here is public (TLP:WHITE)


def _load(uri: str) -> dict:
    name = _LOCAL_SCHEMAS.get(uri.split("?")[0].split("#")[0])
    if name is None:
        raise ValueError(f"No local copy of the schema {uri}; the validator does not use the network.")
    return json.loads((SCHEMA_DIR / name).read_text())


@cache
def _validator(uri: str):
    return jsonschema_rs.validator_for(_load(uri), retriever=_load)


def schema_errors(document: object, *, schema: str = CSAF_SCHEMA_URI) -> list[str]:
    """What makes ``document`` invalid against the CSAF (or provider metadata) schema; empty when valid."""
    return [
        f"{'/'.join(str(part) for part in error.instance_path) or '(document)'}: {error.message}"
        for error in _validator(schema).iter_errors(document)
    ]


# --- Export ----------------------------------------------------------------------------------------------


def _timestamp(moment: datetime | None) -> str:
    assert moment is not None  # only published revisions are exported
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def document_url(advisory: Advisory) -> str:
    return _absolute(reverse("advisories:csaf_document", args=[advisory.year, advisory.csaf_filename]))


def publisher() -> dict:
    return {
        "category": "vendor",
        "name": settings.SITE_NAME,
        "namespace": settings.SITE_URL,
        "contact_details": ", ".join(settings.SECURITY_CONTACTS),
    }


def product_ids(revision: AdvisoryRevision) -> tuple[dict[str, str], dict[str, str]]:
    """Product ids of the affected ranges and of the fixed versions, keyed by their text."""
    slug = revision.advisory.product.slug.upper()
    affected = {text: f"{slug}-AFFECTED-{index}" for index, text in enumerate(revision.affected_ranges, 1)}
    fixed = {text: f"{slug}-{text}" for text in revision.fixed_versions}
    return affected, fixed


def document(advisory: Advisory) -> dict:
    """The CSAF 2.0 document of ``advisory``'s current revision, with its whole revision history."""
    revision = advisory.current
    assert revision is not None, "only published advisories have a CSAF document"
    history = advisory.revisions.filter(published_at__isnull=False).order_by("number")
    product = advisory.product
    affected, fixed = product_ids(revision)
    branches = [
        {
            "category": "product_version_range",
            "name": text,
            "product": {"name": f"{product.name} {text}", "product_id": pid},
        }
        for text, pid in affected.items()
    ] + [
        {
            "category": "product_version",
            "name": text,
            "product": {"name": f"{product.name} {text}", "product_id": pid},
        }
        for text, pid in fixed.items()
    ]
    affected_ids = list(affected.values())
    remediations: list[dict] = []
    if revision.fixed_versions:
        remediations.append(
            {
                "category": "vendor_fix",
                "details": f"Update to {', '.join(revision.fixed_versions)} or later.",
                "product_ids": affected_ids,
                "url": _absolute(advisory.get_absolute_url()),
            }
        )
    if revision.workarounds.strip():
        remediations.append(
            {"category": "workaround", "details": revision.workarounds.strip(), "product_ids": affected_ids}
        )
    score = {
        "cvss_v3": {
            "version": "3.1",
            "vectorString": revision.cvss_vector,
            "baseScore": float(revision.base_score),
            "baseSeverity": revision.severity.upper(),
        },
        "products": affected_ids,
    }
    status = {"known_affected": affected_ids, **({"fixed": list(fixed.values())} if fixed else {})}
    vulnerability_base = {
        "notes": [{"category": "description", "title": "Description", "text": revision.summary}],
        "product_status": status,
        "scores": [score],
        "title": revision.title,
        **({"remediations": remediations} if remediations else {}),
    }
    vulnerabilities = [{"cve": cve, **vulnerability_base} for cve in revision.cve_ids] or [vulnerability_base]
    doc: dict = {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
            "lang": "en",
            "notes": [{"category": "summary", "title": "Summary", "text": revision.summary}],
            "publisher": publisher(),
            "references": [
                {
                    "category": "self",
                    "summary": "This advisory",
                    "url": _absolute(advisory.get_absolute_url()),
                },
                {"category": "self", "summary": "This advisory as CSAF", "url": document_url(advisory)},
            ],
            "title": revision.title,
            "tracking": {
                "current_release_date": _timestamp(revision.published_at),
                "generator": {"engine": {"name": f"{settings.SITE_NAME} platform"}},
                "id": advisory.identifier,
                "initial_release_date": _timestamp(advisory.first_published_at),
                "revision_history": [
                    {
                        "date": _timestamp(item.published_at),
                        "number": str(item.number),
                        "summary": item.change_summary,
                    }
                    for item in history
                ],
                "status": "final",
                "version": str(revision.number),
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": settings.SITE_NAME,
                    "branches": [{"category": "product_name", "name": product.name, "branches": branches}],
                }
            ]
        },
        "vulnerabilities": vulnerabilities,
    }
    if revision.acknowledgement_lines:
        doc["document"]["acknowledgments"] = [{"summary": line} for line in revision.acknowledgement_lines]
    return doc


def render(data: dict) -> bytes:
    """The served bytes of a document: stable, so its hash files stay right."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def digest(content: bytes, algorithm: str, filename: str) -> str:
    """A ``sha256``/``sha512`` file as CSAF (and ``sha256sum``) expect: ``<hex>  <filename>``."""
    return f"{hashlib.new(algorithm, content).hexdigest()}  {filename}\n"


def provider_metadata(advisories: list[Advisory]) -> dict:
    updated = max(
        (a.current.published_at for a in advisories if a.current and a.current.published_at), default=None
    )
    return {
        "canonical_url": _absolute(reverse("advisories:csaf_provider_metadata")),
        "distributions": [{"directory_url": _absolute(reverse("advisories:csaf_directory"))}],
        "last_updated": _timestamp(updated) if updated else "2026-01-01T00:00:00.000Z",
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": publisher(),
        "role": "csaf_provider",
    }


def index_txt(advisories: list[Advisory]) -> str:
    return "".join(f"{advisory.csaf_path}\n" for advisory in advisories)


def changes_csv(advisories: list[Advisory]) -> str:
    """Newest change first, as the provider spec asks: ``"path","current release date"``."""
    dated = [
        (a.current.published_at, a.csaf_path) for a in advisories if a.current and a.current.published_at
    ]
    dated.sort(reverse=True)
    return "".join(f'"{path}","{_timestamp(moment)}"\n' for moment, path in dated)
