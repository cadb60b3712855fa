"""An owner invites a manager and a viewer by email; each accepts (the viewer signs up first) and
sees the organization's license with what their role allows."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from organizations.services import create_organization
from tests import personas
from tests.organizations.test_browser import sign_in
from tests.outbox import code_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_mail_to(address: str) -> str:
    """The body of the last message handed to the mail server for ``address`` (the outbox keeps none)."""
    return next(str(message.body) for message in reversed(mail.outbox) if address in message.to)


LINK = re.compile(r"https?://\S+?(/organizations/invitations/[^/\s]+/)")


def invite(page: Page, email: str, role: str) -> str:
    """Send an invitation from the organization page; the path of the link in the email."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"We emailed an invitation to {email}")).to_be_visible()
    found = LINK.search(last_mail_to(email))
    assert found is not None
    return found.group(1)


def new_page(browser: Browser, base: str) -> Page:
    return browser.new_context(base_url=base).new_page()


def test_an_owner_invites_a_manager_and_a_viewer_who_accept(
    page: Page, browser, live_server, issue, customer
):
    base = live_server.url
    company = create_organization(user=customer, name="Contoso CCTV")
    license, _key = issue(company)
    manager = personas.make_customer("mara@contoso.example")

    sign_in(page, base, customer.email)
    page.goto(f"{base}/organizations/{company.public_id}/")
    manager_link = invite(page, "mara@contoso.example", "Manager")
    viewer_link = invite(page, "vik@contoso.example", "Viewer")
    pending = page.get_by_role("table", name="Pending invitations to Contoso CCTV")
    expect(pending.get_by_role("row")).to_have_count(3)  # the header and two invitations

    # The manager has an account: signs in from the invitation and accepts.
    theirs = new_page(browser, base)
    theirs.goto(base + manager_link)
    theirs.get_by_role("link", name="Sign in").last.click()
    theirs.get_by_label("Email").fill(manager.email)
    theirs.get_by_label("Password").fill(personas.PASSWORD)
    theirs.get_by_role("button", name="Sign in", exact=True).click()
    theirs.get_by_role("button", name="Accept and join Contoso CCTV").click()
    expect(theirs.get_by_text("You joined Contoso CCTV as manager")).to_be_visible()
    theirs.goto(f"{base}/licenses/{license.public_id}/")
    expect(theirs.get_by_role("link", name="Show the full key")).to_be_visible()

    # The viewer has no account yet: signs up with the invited address, verifies it, comes back.
    viewer = new_page(browser, base)
    viewer.goto(base + viewer_link)
    expect(viewer.get_by_text("sign in with the account of vik@contoso.example")).to_be_visible()
    viewer.get_by_role("main").get_by_role("link", name="Create account").click()
    viewer.get_by_label("Email").fill("vik@contoso.example")
    viewer.get_by_label("Password", exact=True).fill("a-long-and-unusual-passphrase")
    viewer.get_by_label("Password (again)").fill("a-long-and-unusual-passphrase")
    for box in viewer.get_by_role("checkbox").all():
        box.check()
    viewer.get_by_role("button", name="Create account").click()
    viewer.get_by_label("Code").fill(code_in(last_mail_to("vik@contoso.example")))
    viewer.get_by_role("button", name="Confirm").click()
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Invitation to Contoso CCTV")
    viewer.get_by_role("button", name="Accept and join Contoso CCTV").click()
    expect(viewer.get_by_text("You joined Contoso CCTV as viewer")).to_be_visible()
    viewer.goto(f"{base}/licenses/")
    expect(viewer.get_by_role("link", name=re.compile(license.reference))).to_be_visible()
    viewer.goto(f"{base}/licenses/{license.public_id}/")
    expect(viewer.get_by_role("heading", level=1)).to_be_visible()
    expect(viewer.get_by_role("link", name="Show the full key")).to_have_count(0)

    # The owner sees both as members, and no invitation pending.
    page.reload()
    members = page.get_by_role("table", name="Members of Contoso CCTV")
    expect(members.get_by_role("row", name=re.compile("mara@contoso.example"))).to_contain_text("Manager")
    expect(members.get_by_role("row", name=re.compile("vik@contoso.example"))).to_contain_text("Viewer")
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
