"""Release notes pages, the releases feed, installer downloads and the license page's versions."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.models import License, Plan, Release
from tests.licensing.releases_seed import INSTALLER, artifact, release

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def catalogue(product):
    return {
        "6.2.0": release(
            product, "6.2.0", date(2026, 6, 2), notes="- Video wall\n- <script>alert(1)</script>"
        ),
        "6.2.1": release(product, "6.2.1", date(2026, 8, 18), notes="A **maintenance** release."),
        "6.3.0": release(product, "6.3.0", date(2026, 11, 10), notes="Two-factor sign-in."),
        "7.0.0": release(product, "7.0.0", date(2026, 11, 20), state=Release.State.DRAFT, notes="Secret"),
        "6.2.2": release(
            product,
            "6.2.2",
            date(2026, 9, 1),
            state=Release.State.WITHDRAWN,
            withdrawn_reason="It broke exports; install 6.2.1.",
        ),
    }


@pytest.fixture
def installer(catalogue):
    return artifact(catalogue["6.3.0"])


def download_url(item) -> str:
    return reverse("licensing:download", kwargs={"artifact_id": item.public_id})


# --- Public pages ----------------------------------------------------------------------------------


def test_the_releases_page_lists_published_and_withdrawn_releases_but_no_draft(client, catalogue):
    response = client.get("/releases/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Version 6.3.0" in page and "Version 6.2.2" in page and "Withdrawn" in page
    assert "7.0.0" not in page
    # Newest version first, by version order.
    assert page.index("Version 6.3.0") < page.index("Version 6.2.2") < page.index("Version 6.2.1")
    assert not response.cookies


def test_a_release_page_shows_sanitized_notes_and_sets_no_cookie(client, catalogue):
    response = client.get("/releases/kalytera-vms/6.2.0/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<li>Video wall</li>" in page
    assert "<script>alert" not in page
    assert not response.cookies


def test_a_withdrawn_release_says_why(client, catalogue):
    page = client.get("/releases/kalytera-vms/6.2.2/").content.decode()
    assert "This release has been withdrawn" in page
    assert "It broke exports; install 6.2.1." in page


def test_a_draft_release_page_is_404(client, catalogue):
    assert client.get("/releases/kalytera-vms/7.0.0/").status_code == 404
    assert client.get("/releases/kalytera-vms/9.9.9/").status_code == 404


def test_the_feed_is_atom_with_published_releases_only(client, catalogue):
    response = client.get("/releases/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert not response.cookies
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == ["Kalytera VMS 6.3.0", "Kalytera VMS 6.2.1", "Kalytera VMS 6.2.0"]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    assert "<strong>maintenance</strong>" in entries[1].findtext(f"{ATOM}summary")


def test_the_footer_links_the_releases(client, catalogue):
    assert 'href="/releases/"' in client.get("/").content.decode()


# --- Downloads -------------------------------------------------------------------------------------


def test_a_covered_customer_downloads_the_installer_with_its_length(
    customer_client, customer, issue, installer
):
    issue(customer)
    response = customer_client.get(download_url(installer))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(INSTALLER))
    assert response["Content-Disposition"] == f'attachment; filename="{installer.filename}"'
    assert response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == INSTALLER


def test_a_download_resumes_with_a_range(customer_client, customer, issue, installer):
    issue(customer)
    response = customer_client.get(download_url(installer), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(INSTALLER)}"
    assert b"".join(response.streaming_content) == INSTALLER[100:200]
    beyond = customer_client.get(download_url(installer), HTTP_RANGE=f"bytes={len(INSTALLER)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(INSTALLER)}"


def test_the_signature_file_verifies_the_download(customer_client, customer, issue, installer):
    import io
    import json

    from kalytera_client import artifact as client_artifact
    from kalytera_client import verify

    issue(customer)
    signature = customer_client.get(
        reverse("licensing:download_signature", kwargs={"artifact_id": installer.public_id})
    )
    assert signature["Content-Disposition"] == f'attachment; filename="{installer.filename}.sig"'
    keys = verify.load_keys(json.loads(customer_client.get("/api/v1/signing-keys").content))
    verified = client_artifact.verify_artifact(
        io.BytesIO(INSTALLER), signature.content.decode(), keys, product="kalytera-vms", version="6.3.0"
    )
    assert verified.claims["platform"] == "linux-x64-deb"


def test_anonymous_visitors_are_sent_to_sign_in(client, installer):
    response = client.get(download_url(installer))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_customer_without_a_license_gets_404(customer_client, installer):
    assert customer_client.get(download_url(installer)).status_code == 404


def test_another_customers_license_does_not_entitle(customer_client, other_customer, issue, installer):
    issue(other_customer)
    assert customer_client.get(download_url(installer)).status_code == 404


def test_an_expired_subscription_gets_404(customer_client, customer, issue, installer):
    issue(customer, now=timezone.now() - timedelta(days=400))
    assert customer_client.get(download_url(installer)).status_code == 404


def test_a_perpetual_license_whose_upgrade_plan_ended_before_the_release_gets_404(
    customer_client, customer, issue, make_plan, catalogue, installer
):
    license, _ = issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL))
    License.objects.filter(pk=license.pk).update(upgrade_plan_until=date(2026, 9, 1))
    assert customer_client.get(download_url(installer)).status_code == 404
    older = artifact(catalogue["6.2.1"])
    assert customer_client.get(download_url(older)).status_code == 200


def test_a_suspended_license_gets_404(customer_client, customer, issue, installer):
    license, _ = issue(customer)
    License.objects.filter(pk=license.pk).update(status=License.Status.SUSPENDED)
    assert customer_client.get(download_url(installer)).status_code == 404


def test_an_installer_of_a_draft_or_withdrawn_release_gets_404(customer_client, customer, issue, catalogue):
    issue(customer)
    for version in ("7.0.0", "6.2.2"):
        assert customer_client.get(download_url(artifact(catalogue[version]))).status_code == 404


def test_a_download_is_read_only(customer_client, customer, issue, installer):
    issue(customer)
    assert customer_client.post(download_url(installer)).status_code == 405
    assert customer_client.head(download_url(installer)).status_code == 200


# --- The license page ------------------------------------------------------------------------------


def test_the_license_page_shows_the_newest_version_and_the_notes_since_the_machines_version(
    customer_client, customer, issue, installer
):
    from licensing import services
    from tests.licensing.conftest import digest

    license, key = issue(customer)
    services.activate_machine(key=key, fingerprint=digest("rack"), product_version="6.2.0")
    page = customer_client.get(f"/licenses/{license.public_id}/").content.decode()
    assert "Newest version you may install" in page and "Kalytera VMS 6.3.0" in page
    assert "The oldest version your machines report is 6.2.0" in page
    assert "A <strong>maintenance</strong> release." in page  # the notes of 6.2.1
    assert "Two-factor sign-in." in page
    assert download_url(installer) in page
    assert "Secret" not in page  # a draft's notes


def test_behind_nginx_the_download_is_handed_to_it_after_the_check(
    customer_client, customer, issue, installer, settings
):
    settings.RELEASE_DOWNLOAD_ACCEL_PREFIX = "/release-files-internal/"
    assert customer_client.get(download_url(installer)).status_code == 404  # no license yet
    issue(customer)
    response = customer_client.get(download_url(installer))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/release-files-internal/{installer.file.name}"
    assert response["Content-Disposition"] == f'attachment; filename="{installer.filename}"'
    assert response.content == b""


def test_the_release_pages_pass_the_page_checks(client, customer_client, customer, issue, installer):
    from tests.pages import page_problems, wording_problems

    license, _ = issue(customer)
    for page_client, path in (
        (client, "/releases/"),
        (client, "/releases/kalytera-vms/6.3.0/"),
        (client, "/releases/kalytera-vms/6.2.2/"),
        (customer_client, f"/licenses/{license.public_id}/"),
    ):
        html = page_client.get(path).content.decode()
        assert page_problems(html) == [], path
        assert wording_problems(html) == [], path
