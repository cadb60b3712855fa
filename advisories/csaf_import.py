"""Advisories from CSAF 2.0 documents, as PSIRT teams author them in CSAF tools.

The document must be valid against the schema and be a ``csaf_security_advisory`` whose
tracking id is a Kalytera advisory id. What it says becomes a draft revision (a new advisory,
or the next revision of an existing one); publishing it is the usual step, or ``publish=True``.
Affected versions are the ``product_version_range`` branches named ``known_affected`` (written
as 6.2.x, bounds such as >=6.2.0,<6.2.3, or a ``vers:`` string); fixed versions are the
``product_version`` branches named ``fixed``.
"""

import json
import re

from django.db import transaction

from advisories import services
from advisories.csaf import schema_errors
from advisories.models import ID_PATTERN, Advisory, AdvisoryRevision
from advisories.scoring import score
from kalytera.errors import DomainError
from licensing import versions
from licensing.models import Product


class CsafImportError(DomainError):
    """A document that cannot become an advisory; the message says why."""


def _fail(message: str) -> CsafImportError:
    return CsafImportError("advisories.csaf_invalid", message)


def load(content: bytes | str) -> dict:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise _fail(f"The file is not JSON: {error}.") from None
    errors = schema_errors(data)
    if errors:
        listed = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise _fail(f"The document is not valid CSAF 2.0: {listed}.")
    return data


def _walk(branches: list[dict]):
    for branch in branches:
        yield branch
        yield from _walk(branch.get("branches", []))


def _range_text(name: str) -> str:
    if name.startswith("vers:"):
        name = name.split("/", 1)[1] if "/" in name else ""
        name = ",".join(part if re.match(r"^[<>=]", part) else f"=={part}" for part in name.split("|"))
    versions.parse_range(name)
    return name


def fields_from(data: dict) -> dict:
    """The revision fields a CSAF document states, checked as drafting in the admin checks them."""
    doc = data["document"]
    if doc["category"] != "csaf_security_advisory":
        raise _fail(
            f"The document is a {doc['category']}; only csaf_security_advisory documents are imported."
        )
    identifier = doc["tracking"]["id"]
    if not re.match(ID_PATTERN, identifier):
        raise _fail(f"The tracking id “{identifier}” is not a Kalytera advisory id such as KSA-2027-001.")
    vulnerabilities = data.get("vulnerabilities", [])
    if not vulnerabilities:
        raise _fail("The document names no vulnerability.")
    by_id: dict[str, dict] = {}
    for branch in _walk(data.get("product_tree", {}).get("branches", [])):
        if "product" in branch:
            by_id[branch["product"]["product_id"]] = branch
    affected_ids: list[str] = []
    fixed_ids: list[str] = []
    vectors: list[str] = []
    workarounds: list[str] = []
    for vulnerability in vulnerabilities:
        status = vulnerability.get("product_status", {})
        affected_ids += [pid for pid in status.get("known_affected", []) if pid not in affected_ids]
        fixed_ids += [pid for pid in status.get("fixed", []) if pid not in fixed_ids]
        vectors += [s["cvss_v3"]["vectorString"] for s in vulnerability.get("scores", []) if "cvss_v3" in s]
        workarounds += [
            r["details"] for r in vulnerability.get("remediations", []) if r["category"] == "workaround"
        ]
    try:
        ranges = [
            _range_text(by_id[pid]["name"])
            for pid in affected_ids
            if pid in by_id and by_id[pid]["category"] in ("product_version_range", "product_version")
        ]
        fixed = [str(versions.parse(by_id[pid]["name"])) for pid in fixed_ids if pid in by_id]
    except versions.InvalidVersion as error:
        raise _fail(str(error)) from None
    if not ranges:
        raise _fail("No affected product version (range) is named in product_status/known_affected.")
    vector = next((v for v in vectors if v.startswith("CVSS:3.1/")), "")
    if not vector:
        raise _fail("The document has no CVSS v3.1 score (scores/cvss_v3 with a CVSS:3.1 vector).")
    score(vector)  # refuses an invalid vector with its own message
    summary = next(
        (note["text"] for note in doc.get("notes", []) if note["category"] in ("summary", "description")),
        next((n["text"] for v in vulnerabilities for n in v.get("notes", [])), ""),
    )
    acknowledgements = [
        line
        for item in doc.get("acknowledgments", [])
        + [a for v in vulnerabilities for a in v.get("acknowledgments", [])]
        for line in (
            [item["summary"]] if "summary" in item else [*item.get("names", []), item.get("organization", "")]
        )
        if line
    ]
    history = doc["tracking"]["revision_history"]
    return {
        "identifier": identifier,
        "title": doc["title"],
        "summary": summary or doc["title"],
        "cve_ids": list(dict.fromkeys(v["cve"] for v in vulnerabilities if "cve" in v)),
        "cvss_vector": vector,
        "affected_ranges": list(dict.fromkeys(ranges)),
        "fixed_versions": list(dict.fromkeys(fixed)),
        "workarounds": "\n\n".join(dict.fromkeys(workarounds)),
        "acknowledgements": "\n".join(dict.fromkeys(acknowledgements)),
        "change_summary": history[-1]["summary"] if history else "",
    }


def _product(data: dict, product: Product | None) -> Product:
    if product is not None:
        return product
    names = {
        b["name"]
        for b in _walk(data.get("product_tree", {}).get("branches", []))
        if b["category"] == "product_name"
    }
    found = list(Product.objects.filter(name__in=names)) or list(Product.objects.all()[:2])
    if len(found) != 1:
        raise _fail(
            "Say which product the advisory is about (the document's product names match none or several)."
        )
    return found[0]


@transaction.atomic
def import_document(
    *, content: bytes | str, by, product: Product | None = None, publish: bool = False
) -> AdvisoryRevision:
    """A draft revision (published when ``publish``) made from a CSAF 2.0 document."""
    data = load(content)
    fields = fields_from(data)
    identifier = fields.pop("identifier")
    advisory, created = Advisory.objects.select_for_update().get_or_create(
        identifier=identifier, defaults={"product": _product(data, product)}
    )
    if not created and advisory.revisions.filter(published_at__isnull=True).exists():
        raise _fail(
            f"{identifier} has an unpublished draft; publish or delete it before importing a new revision."
        )
    fields["base_score"], fields["severity"], fields["cvss_vector"] = score(fields["cvss_vector"])
    revision = AdvisoryRevision.objects.create(advisory=advisory, **fields)
    if publish:
        revision = services.publish_revision(revision=revision, by=by)
    return revision
