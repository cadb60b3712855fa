"""An air-gapped server: a request from the reference client goes up, the certificate comes back."""

import pytest
from playwright.sync_api import Page, expect

from kalytera_client import identity, offline, verify
from licensing import certificates
from licensing.models import Activation
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVER = identity.derive("vault-recorder", {"board": "VB-1", "disk": "VD-1", "nic": "VN-1"})


def test_an_air_gapped_server_is_activated_with_an_uploaded_request(
    page: Page, live_server, owned_license, tmp_path
):
    license, _ = owned_license
    request_file = tmp_path / "activation-request.txt"
    request_file.write_text(
        offline.activation_request(SERVER, name="Vault recorder", product_version="6.2.0")
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(license.organization.personal_for.email)
    page.get_by_label("Password").fill(personas.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"{live_server.url}/licenses/{license.public_id}/")
    page.get_by_role("link", name="Activate or deactivate it with a request file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Server without internet")

    page.get_by_label("Or upload the request file").set_input_files(request_file)
    page.get_by_role("button", name="Apply the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Machine activated")
    expect(page.get_by_role("heading", level=2, name="Vault recorder")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download kalytera-certificate.lic").click()
    assert download.value.suggested_filename == "kalytera-certificate.lic"
    certificate_text = download.value.path().read_text()

    # What the VMS does with the file it is given: verify it offline and judge it.
    keys = verify.load_keys({"keys": certificates.published_signing_keys()})
    document = verify.read_document(certificate_text, keys)
    assert document.claims["fingerprint"] == SERVER.fingerprint
    assert document.claims["license_id"] == str(license.public_id)
    status = verify.evaluate(document.claims, now=verify.parse_timestamp(document.claims["issued_at"]))
    assert (status.code, status.valid) == ("VALID", True)

    page.goto(f"{live_server.url}/licenses/{license.public_id}/")
    expect(page.get_by_role("row", name="Vault recorder")).to_contain_text("Active")
    assert Activation.objects.get(license=license).product_version == "6.2.0"
