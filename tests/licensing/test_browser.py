"""A customer claims a key, a VMS activates through the API, the customer deactivates it."""

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from licensing.models import Activation
from tests import personas
from tests.licensing.conftest import digest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def vms_activates(base_url: str, key: str) -> dict:
    body = {
        "license_key": key,
        "fingerprint": digest("site-7"),
        "name": "Gatehouse NVR",
        "product_version": "6.2.0",
    }
    request = urllib.request.Request(
        f"{base_url}/api/v1/activations",
        json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def test_claim_see_activate_and_deactivate(page: Page, live_server, issue, customer):
    license, key = issue(None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(personas.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.goto(f"{live_server.url}/licenses/claim/")
    page.get_by_label("License key").fill(key.lower())
    page.get_by_role("button", name="Add license").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"License {license.reference}")
    expect(page.get_by_text("No machine has been activated yet")).to_be_visible()

    vms_activates(live_server.url, key)
    page.reload()
    row = page.get_by_role("row", name="Gatehouse NVR")
    expect(row).to_contain_text("6.2.0")
    expect(row).to_contain_text("Active")

    row.get_by_role("link", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate Gatehouse NVR").click()
    expect(page.get_by_text("is deactivated; its seat is free")).to_be_visible()
    expect(page.get_by_role("row", name="Gatehouse NVR")).to_contain_text("Deactivated")
    assert not Activation.objects.get().is_active
