"""Staff write release notes and upload installers, which are stored, hashed and signed."""

import hashlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from licensing import certificates
from licensing.models import Release, ReleaseArtifact
from licensing.services import releases as release_services
from tests.licensing.releases_seed import release


@pytest.fixture
def staff(licensing_user, staff_client_for):
    return staff_client_for(licensing_user)


@pytest.fixture
def draft(product):
    return release(product, "6.3.0", date(2026, 11, 10), state=Release.State.DRAFT)


def upload(
    staff, draft, content: bytes, platform: str = "windows-x64", name: str = "Kalytera Setup 6.3.0.exe"
):
    return staff.post(
        reverse("admin:licensing_releaseartifact_add"),
        {"release": draft.pk, "platform": platform, "upload": SimpleUploadedFile(name, content)},
    )


def test_the_licensing_group_uploads_and_removes_installers_but_never_edits_one(licensing_user):
    for perm in ("add_releaseartifact", "view_releaseartifact", "delete_releaseartifact", "change_release"):
        assert licensing_user.has_perm(f"licensing.{perm}"), perm
    assert not licensing_user.has_perm("licensing.change_releaseartifact")


def test_an_uploaded_installer_is_stored_hashed_and_signed(staff, draft, settings, monkeypatch):
    # Larger than any other request may be: the artifact page is the one exception.
    settings.REQUEST_MAX_BYTES = 4096

    def read_again(file):
        raise AssertionError("the upload handler hashes the file as it arrives; it is not read twice")

    monkeypatch.setattr(release_services, "file_digest", read_again)
    content = bytes(range(256)) * 64
    response = upload(staff, draft, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    artifact = ReleaseArtifact.objects.get()
    assert artifact.filename == "Kalytera-Setup-6.3.0.exe"
    assert artifact.size == len(content)
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    with artifact.file.open("rb") as stored:
        assert stored.read() == content
    claims = certificates.verify(artifact.signature, expected_type=certificates.RELEASE_ARTIFACT)
    assert claims == {
        "typ": "release-artifact",
        "v": 1,
        "product": "kalytera-vms",
        "version": "6.3.0",
        "platform": "windows-x64",
        "filename": "Kalytera-Setup-6.3.0.exe",
        "size": len(content),
        "sha256": artifact.sha256,
    }


def test_other_pages_keep_the_small_body_limit(staff, settings):
    settings.REQUEST_MAX_BYTES = 4096
    response = staff.post(reverse("admin:licensing_release_add"), {"notes": "x" * 8000})
    assert response.status_code == 413


def test_a_platform_in_capitals_is_refused(staff, draft):
    response = upload(staff, draft, b"data", platform="Windows-X64")
    assert response.status_code == 200
    assert "lower case" in response.content.decode()
    assert not ReleaseArtifact.objects.exists()


def test_a_second_installer_for_the_same_platform_is_refused(staff, draft):
    assert upload(staff, draft, b"one").status_code == 302
    response = upload(staff, draft, b"two")
    assert response.status_code == 200
    assert ReleaseArtifact.objects.count() == 1


def test_deleting_an_installer_removes_its_file(staff, draft, django_capture_on_commit_callbacks):
    upload(staff, draft, b"installer")
    artifact = ReleaseArtifact.objects.get()
    storage, name = artifact.file.storage, artifact.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:licensing_releaseartifact_delete", args=[artifact.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not ReleaseArtifact.objects.exists()
    assert not storage.exists(name)


def test_a_withdrawn_release_needs_a_reason(staff, draft):
    url = reverse("admin:licensing_release_change", args=[draft.pk])
    fields = {
        "product": draft.product_id,
        "version": "6.3.0",
        "released_on": "2026-11-10",
        "state": "withdrawn",
        "notes": "",
        "withdrawn_reason": "",
        "artifacts-TOTAL_FORMS": "0",
        "artifacts-INITIAL_FORMS": "0",
    }
    response = staff.post(url, fields)
    assert response.status_code == 200
    assert "Say why the release is withdrawn" in response.content.decode()
    response = staff.post(url, {**fields, "withdrawn_reason": "Exports break; install 6.2.1."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Release.State.WITHDRAWN


def test_a_version_that_cannot_be_ordered_is_refused(staff, product):
    response = staff.post(
        reverse("admin:licensing_release_add"),
        {
            "product": product.pk,
            "version": "6.3 final",
            "released_on": "2026-11-10",
            "state": "draft",
            "artifacts-TOTAL_FORMS": "0",
            "artifacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is not a version" in response.content.decode()


@pytest.mark.parametrize("persona", ["support_user", "legal_user"])
def test_other_staff_groups_cannot_upload(staff_client_for, persona, request, draft):
    client = staff_client_for(request.getfixturevalue(persona))
    assert client.get(reverse("admin:licensing_releaseartifact_add")).status_code == 403


def test_a_release_with_installers_keeps_its_version(staff, draft):
    upload(staff, draft, b"installer")
    url = reverse("admin:licensing_release_change", args=[draft.pk])
    fields = {
        "product": draft.product_id,
        "version": "6.3.1",
        "released_on": "2026-11-10",
        "state": "draft",
        "notes": "",
        "withdrawn_reason": "",
        "artifacts-TOTAL_FORMS": "1",
        "artifacts-INITIAL_FORMS": "1",
        "artifacts-0-id": ReleaseArtifact.objects.get().pk,
        "artifacts-0-release": draft.pk,
    }
    response = staff.post(url, fields)
    assert response.status_code == 200
    assert "Its installers are signed for this value" in response.content.decode()
    draft.refresh_from_db()
    assert draft.version == "6.3.0"


def test_deleting_a_release_removes_its_installers_files(staff, draft, django_capture_on_commit_callbacks):
    upload(staff, draft, b"installer")
    artifact = ReleaseArtifact.objects.get()
    storage, name = artifact.file.storage, artifact.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:licensing_release_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Release.objects.filter(pk=draft.pk).exists()
    assert not storage.exists(name)


def test_the_release_page_links_to_an_upload_for_this_release(staff, draft):
    page = staff.get(reverse("admin:licensing_release_change", args=[draft.pk])).content.decode()
    link = f"{reverse('admin:licensing_releaseartifact_add')}?release={draft.pk}"
    assert f'href="{link}"' in page
    form = staff.get(link).content.decode()
    assert f'<option value="{draft.pk}" selected>' in form
