"""Every CSAF document the platform serves is valid against the official (vendored) schemas."""

import hashlib
import json

import pytest

from advisories import csaf
from tests.advisories.conftest import revise

WELL_KNOWN = "/.well-known/csaf"


@pytest.fixture
def two_advisories(published, security_user):
    first = published(workarounds="", acknowledgements="", cve_ids=[])
    revise(first, security_user, fixed_versions=["6.2.2", "6.2.1-hotfix3"], change_summary="Hotfix added.")
    published(identifier="KSA-2026-014", affected_ranges=[">=6.0.0,<6.1.4", "6.2.1"], fixed_versions=[])
    return first.advisory


def served_documents(client) -> dict[str, dict]:
    """Everything a CSAF tool would fetch, found as a tool finds it: from security.txt on."""
    security_txt = client.get("/.well-known/security.txt").content.decode()
    (metadata_url,) = [
        line.split(": ", 1)[1] for line in security_txt.splitlines() if line.startswith("CSAF: ")
    ]
    metadata = client.get(metadata_url).json()
    served = {metadata_url: metadata}
    (distribution,) = metadata["distributions"]
    index = client.get(distribution["directory_url"] + "index.txt").content.decode().split()
    for path in index:
        served[path] = json.loads(client.get(distribution["directory_url"] + path).content)
    return served


@pytest.mark.django_db
def test_every_served_document_is_valid_against_the_schema(client, two_advisories):
    served = served_documents(client)
    assert len(served) == 3
    for url, document in served.items():
        schema = csaf.PROVIDER_SCHEMA_URI if url.endswith("provider-metadata.json") else csaf.CSAF_SCHEMA_URI
        assert csaf.schema_errors(document, schema=schema) == [], url


@pytest.mark.django_db
def test_the_provider_metadata_is_valid_without_any_advisory(client):
    metadata = client.get(f"{WELL_KNOWN}/provider-metadata.json").json()
    assert csaf.schema_errors(metadata, schema=csaf.PROVIDER_SCHEMA_URI) == []
    assert client.get(f"{WELL_KNOWN}/white/index.txt").content == b""


def test_the_validator_finds_errors_and_never_uses_the_network():
    assert csaf.schema_errors({"document": {}})
    broken = {
        "document": {"category": "csaf_security_advisory"},
        "vulnerabilities": [{"scores": [{"cvss_v3": {}}]}],
    }
    assert csaf.schema_errors(broken)
    with pytest.raises(ValueError, match="does not use the network"):
        csaf._load("https://example.com/other.json")


@pytest.mark.django_db
def test_the_document_carries_the_revision_history_scores_and_products(client, two_advisories):
    document = client.get(f"{WELL_KNOWN}/white/2027/ksa-2027-001.json").json()
    tracking = document["document"]["tracking"]
    assert tracking["id"] == "KSA-2027-001" and tracking["version"] == "2"
    assert [item["summary"] for item in tracking["revision_history"]] == ["Initial release.", "Hotfix added."]
    (vulnerability,) = document["vulnerabilities"]
    assert vulnerability["scores"][0]["cvss_v3"]["baseScore"] == 9.8
    assert vulnerability["product_status"]["fixed"] == ["KALYTERA-VMS-6.2.2", "KALYTERA-VMS-6.2.1-hotfix3"]
    assert document["document"]["category"] == "csaf_security_advisory"


@pytest.mark.django_db
def test_the_directory_lists_index_changes_and_hashes(client, two_advisories):
    assert client.get(f"{WELL_KNOWN}/white/index.txt").content.decode().split() == [
        "2027/ksa-2027-001.json",
        "2026/ksa-2026-014.json",
    ]
    changes = client.get(f"{WELL_KNOWN}/white/changes.csv").content.decode().splitlines()
    assert changes[0].startswith('"2026/ksa-2026-014.json",')  # newest change first
    content = client.get(f"{WELL_KNOWN}/white/2027/ksa-2027-001.json").content
    sha256 = client.get(f"{WELL_KNOWN}/white/2027/ksa-2027-001.json.sha256").content.decode()
    assert sha256 == f"{hashlib.sha256(content).hexdigest()}  ksa-2027-001.json\n"
    sha512 = client.get(f"{WELL_KNOWN}/white/2027/ksa-2027-001.json.sha512").content.decode()
    assert sha512.startswith(hashlib.sha512(content).hexdigest())
    assert client.get(f"{WELL_KNOWN}/white/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "white/2026/ksa-2027-001.json",
        "white/2027/ksa-2027-009.json",
        "white/2027/ksa-2027-001.json.md5",
        "white/2027/x",
    ],
)
def test_unknown_documents_are_not_found(client, two_advisories, path):
    assert client.get(f"{WELL_KNOWN}/{path}").status_code == 404


@pytest.mark.django_db
def test_a_draft_has_no_document(client, draft):
    draft()
    assert client.get(f"{WELL_KNOWN}/white/2027/ksa-2027-001.json").status_code == 404
    assert client.get(f"{WELL_KNOWN}/white/index.txt").content == b""
