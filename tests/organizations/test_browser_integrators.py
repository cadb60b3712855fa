"""A customer owner gives an integrator access, the integrator accepts and sees the license in its
overview, the customer revokes, and the integrator's next request is a 404."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from licensing.models import LicenseEvent
from organizations.services import create_organization
from tests import personas
from tests.organizations.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_grants_an_integrator_and_revokes_it(page: Page, browser, live_server, issue, customer):
    company = create_organization(user=customer, name="Contoso Retail")
    license, _key = issue(company)
    lead = personas.make_customer("ivy@anchor-integrators.example")
    create_organization(user=lead, name="Anchor Integrators")

    sign_in(page, live_server.url, customer.email)
    page.goto(f"{live_server.url}/organizations/{company.public_id}/")
    page.get_by_role("link", name="Give an integrator access").click()
    page.get_by_label("Email of your integrator").fill(lead.email)
    page.get_by_label("Manage: also activate").check()
    page.get_by_label("Send renewal reminders").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text(f"Invitation sent to {lead.email}")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(lead.email))).to_contain_text("Invited")

    (invitation,) = [m for m in mail.outbox if "invites your organization" in m.subject]
    found = re.search(r"/integrators/accept/[^/\s]+/", str(invitation.body))
    assert found is not None and invitation.to == [lead.email]
    path = found.group(0)

    integrator = browser.new_context(base_url=live_server.url).new_page()
    sign_in(integrator, live_server.url, lead.email)
    integrator.goto(f"{live_server.url}{path}")
    expect(integrator.get_by_role("heading", level=1)).to_have_text(
        "Look after the licenses of Contoso Retail"
    )
    integrator.get_by_label("Your organization that looks after them").select_option(
        label="Anchor Integrators"
    )
    integrator.get_by_role("button", name="Accept for this organization").click()
    expect(integrator.get_by_role("heading", level=1)).to_have_text("Sites you look after")
    expect(integrator.get_by_role("heading", name="Contoso Retail")).to_be_visible()
    integrator.get_by_role("link", name=license.reference).click()
    expect(integrator.get_by_text("Integrator access granted")).to_be_visible()
    expect(integrator.get_by_text("Show the full key")).to_be_visible()  # manage scope

    page.reload()
    page.get_by_role("button", name="Revoke Anchor Integrators").click()
    expect(page.get_by_text("Anchor Integrators no longer has access")).to_be_visible()
    response = integrator.goto(f"{live_server.url}/licenses/{license.public_id}/")
    assert response is not None and response.status == 404
    assert license.events.filter(kind=LicenseEvent.Kind.INTEGRATOR_REVOKED).count() == 1
    integrator.context.close()
