import pytest

from tests.advisories.conftest import revise


@pytest.mark.django_db
def test_the_list_shows_published_advisories_only(client, published, draft):
    published()
    draft(identifier="KSA-2027-050", title="Not yet public")
    page = client.get("/security/advisories/").content.decode()
    assert "KSA-2027-001" in page and "Critical 9.8" in page and "6.2.x" in page
    assert "KSA-2027-050" not in page and "Not yet public" not in page


@pytest.mark.django_db
def test_an_advisory_page_shows_the_current_revision_and_its_history(client, published, security_user):
    first = published()
    revise(
        first,
        security_user,
        fixed_versions=["6.2.3"],
        change_summary="6.2.2 did not fix it; update to 6.2.3.",
    )
    page = client.get("/security/advisories/KSA-2027-001/").content.decode()
    assert (
        "revision 2" in page
        and "6.2.3" in page
        and "6.2.2 did not fix it" in page
        and "Initial release." in page
    )
    assert (
        "CVE-2027-12345" in page
        and "Jane Doe" in page
        and "/.well-known/csaf/white/2027/ksa-2027-001.json" in page
    )


@pytest.mark.django_db
def test_a_draft_or_unknown_advisory_is_not_found(client, draft):
    draft()
    assert client.get("/security/advisories/KSA-2027-001/").status_code == 404
    assert client.get("/security/advisories/KSA-1999-001/").status_code == 404


@pytest.mark.django_db
def test_the_feed_has_an_entry_per_revision(client, published, security_user):
    first = published()
    revise(first, security_user, change_summary="Workaround extended.")
    feed = client.get("/security/advisories/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert body.count("<entry>") == 2 and "(revision 2)" in body and "Workaround extended." in body


@pytest.mark.django_db
def test_public_pages_refuse_posts(client, published):
    published()
    for path in (
        "/security/advisories/",
        "/security/advisories/KSA-2027-001/",
        "/.well-known/csaf/provider-metadata.json",
    ):
        assert client.post(path).status_code == 405


@pytest.mark.django_db
def test_security_txt_names_the_csaf_provider_metadata(client, settings):
    lines = client.get("/.well-known/security.txt").content.decode().splitlines()
    assert f"CSAF: {settings.SITE_URL}/.well-known/csaf/provider-metadata.json" in lines
