"""An owner creates an organization, adds a key to it, gives a colleague a role and removes them."""

import pytest
from playwright.sync_api import Page, expect

from organizations.models import Membership, Organization
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(personas.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_an_owner_runs_an_organization_from_the_browser(page: Page, browser, live_server, issue, customer):
    license, key = issue(None)
    colleague = personas.make_customer("vera@contoso.example")
    sign_in(page, live_server.url, customer.email)

    page.goto(f"{live_server.url}/organizations/")
    page.get_by_label("Name").fill("Contoso CCTV")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso CCTV")
    contoso = Organization.objects.get(name="Contoso CCTV")
    Membership.objects.create(organization=contoso, user=colleague, role="viewer")  # invitations come later

    page.goto(f"{live_server.url}/licenses/claim/")
    page.get_by_label("License key").fill(key)
    page.get_by_label("Add it to").select_option(label="Contoso CCTV")
    page.get_by_role("button", name="Add license").click()
    expect(page.get_by_text(f"License {license.reference} is now in Contoso CCTV")).to_be_visible()

    other = browser.new_context(base_url=live_server.url).new_page()
    sign_in(other, live_server.url, colleague.email)
    other.goto(f"{live_server.url}/licenses/{license.public_id}/")
    expect(other.get_by_text("Held by")).to_be_visible()
    expect(other.get_by_text("Show the full key")).to_have_count(0)  # a viewer
    other.goto(f"{live_server.url}/licenses/{license.public_id}/key/")
    expect(other.get_by_text("you need the manager role or higher")).to_be_visible()

    page.goto(f"{live_server.url}/organizations/{contoso.public_id}/")
    page.get_by_label(f"Role of {colleague.email}").select_option("manager")
    page.get_by_role("row", name=colleague.email).get_by_role("button", name="Change role").click()
    expect(page.get_by_text(f"{colleague.email} is now manager")).to_be_visible()
    other.goto(f"{live_server.url}/licenses/{license.public_id}/")
    expect(other.get_by_text("Show the full key")).to_be_visible()

    page.get_by_role("button", name=f"Remove {colleague.email}").click()
    expect(page.get_by_text("their access has ended")).to_be_visible()
    other.goto(f"{live_server.url}/licenses/{license.public_id}/")
    expect(other.get_by_role("heading", level=1)).not_to_have_text(f"License {license.reference}")
    assert not Membership.objects.filter(user=colleague, organization=contoso).exists()
    other.context.close()
