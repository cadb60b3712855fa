import io
import json

import pytest
from django.core.management import CommandError, call_command

from advisories import csaf, csaf_import
from advisories.models import Advisory, AdvisoryRevision
from kalytera.errors import DomainError
from tests.advisories.conftest import revise

FIELDS = (
    "title",
    "summary",
    "cve_ids",
    "cvss_vector",
    "base_score",
    "severity",
    "fixed_versions",
    "workarounds",
)


@pytest.mark.django_db
def test_export_then_import_gives_the_same_advisory(published, security_user):
    original = revise(
        published(), security_user, change_summary="Hotfix added.", fixed_versions=["6.2.2", "6.2.1-hotfix3"]
    )
    exported = csaf.render(csaf.document(Advisory.objects.get(pk=original.advisory_id)))
    Advisory.objects.filter(pk=original.advisory_id).update(current=None)
    AdvisoryRevision.objects.filter(advisory=original.advisory).delete()
    Advisory.objects.filter(pk=original.advisory_id).delete()

    imported = csaf_import.import_document(content=exported, by=security_user, publish=True)
    assert imported.advisory.identifier == "KSA-2027-001" and imported.number == 1
    assert {name: getattr(imported, name) for name in FIELDS} == {
        name: getattr(original, name) for name in FIELDS
    }
    assert imported.acknowledgement_lines == original.acknowledgement_lines
    for version in ("6.2.0", "6.2.1-hotfix2", "6.3.0", "6.1.9"):
        assert imported.affects(version) == original.affects(version)
    assert csaf.schema_errors(csaf.document(imported.advisory)) == []


@pytest.mark.django_db
def test_importing_a_known_advisory_makes_its_next_revision(published, security_user):
    first = published()
    document = csaf.document(first.advisory)
    document["document"]["tracking"]["revision_history"].append(
        {"date": "2027-02-01T00:00:00.000Z", "number": "2", "summary": "6.1.x is affected too."}
    )
    document["product_tree"]["branches"][0]["branches"][0]["branches"].append(
        {"category": "product_version_range", "name": "vers:generic/>=6.1.0|<6.1.4",
         "product": {"name": "Kalytera VMS 6.1", "product_id": "OLD"}}
    )  # fmt: skip
    document["vulnerabilities"][0]["product_status"]["known_affected"].append("OLD")
    revision = csaf_import.import_document(content=json.dumps(document), by=security_user)
    assert revision.is_draft and revision.advisory == first.advisory
    assert (
        revision.affected_ranges == ["6.2.x", ">=6.1.0,<6.1.4"]
        and revision.change_summary == "6.1.x is affected too."
    )
    assert revision.affects("6.1.3") and not revision.affects("6.1.4")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"document": {}}', "not valid CSAF 2.0"),
    ],
)
def test_an_invalid_document_is_refused_with_the_reason(content, message, security_user):
    with pytest.raises(DomainError, match=message):
        csaf_import.import_document(content=content, by=security_user)


@pytest.mark.django_db
def test_a_document_with_a_foreign_id_or_no_version_range_is_refused(published, security_user):
    document = csaf.document(published().advisory)
    foreign = json.loads(json.dumps(document))
    foreign["document"]["tracking"]["id"] = "BSI-2022-0001"
    with pytest.raises(DomainError, match="not a Kalytera advisory id"):
        csaf_import.import_document(content=json.dumps(foreign), by=security_user)
    bad_range = json.loads(json.dumps(document))
    bad_range["product_tree"]["branches"][0]["branches"][0]["branches"][0]["name"] = "all of them"
    with pytest.raises(DomainError, match="not a version"):
        csaf_import.import_document(content=json.dumps(bad_range), by=security_user)


@pytest.mark.django_db
def test_the_command_imports_and_publishes(tmp_path, published, security_user):
    advisory = published().advisory
    path = tmp_path / "ksa.json"
    path.write_bytes(csaf.render(csaf.document(advisory)).replace(b"KSA-2027-001", b"KSA-2027-077"))
    out = io.StringIO()
    call_command("import_csaf", str(path), "--publish", stdout=out)
    assert "KSA-2027-077 published as revision 1" in out.getvalue()
    assert Advisory.objects.get(identifier="KSA-2027-077").current is not None


@pytest.mark.django_db
def test_the_command_explains_what_is_wrong(tmp_path, product):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_csaf", str(tmp_path / "missing.json"))
    path = tmp_path / "bad.json"
    path.write_text('{"document": {"category": "csaf_base"}}')
    with pytest.raises(CommandError, match=r"advisories\.csaf_invalid: The document is not valid CSAF 2\.0"):
        call_command("import_csaf", str(path))
