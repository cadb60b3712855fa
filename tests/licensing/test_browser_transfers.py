"""An owner transfers a license to another company; its manager accepts from the link in the email."""
# ruff: noqa: F811 - the organization fixtures are imported by name

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.licensing.test_transfers import RECIPIENT, contoso, mia  # noqa: F401
from tests.organizations.conftest import company, company_license, members  # noqa: F401
from tests.organizations.test_browser import sign_in
from tests.outbox import latest_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_license_moves_to_another_company_with_its_machines_and_history(
    page: Page, browser, live_server, members, company, company_license, contoso, mia
):
    license, _key, _activation = company_license
    base = live_server.url
    sign_in(page, base, members["owner"].email)

    page.goto(f"{base}/licenses/")
    page.get_by_label(f"Transfer {license.reference}").check()
    page.get_by_role("button", name="Transfer selected…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transfer licenses to another organization")
    expect(page.get_by_label(re.compile(license.reference))).to_be_checked()
    page.get_by_label("Recipient's email").fill(RECIPIENT)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Send the offer").click()
    expect(page.get_by_text(f"Offer sent to {RECIPIENT}")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw offer")).to_be_visible()

    # The recipient opens the link from the email, signed in with that address.
    # The outbox forgets a body once sent: read the delivered message, as the recipient would.
    delivered = next(str(message.body) for message in reversed(mail.outbox) if RECIPIENT in message.to)
    link = re.search(r"https?://\S+/licenses/transfers/accept/\S+/", delivered)
    assert link is not None, delivered
    path = re.sub(r"^https?://[^/]+", "", link.group(0))
    other = browser.new_context(base_url=base).new_page()
    sign_in(other, base, RECIPIENT)
    other.goto(f"{base}{path}")
    expect(other.get_by_role("heading", level=1)).to_have_text("Licenses offered by Northwind Security")
    expect(other.get_by_role("rowheader", name=license.reference)).to_be_visible()
    other.get_by_label("Receive them in").select_option(label="Contoso CCTV")
    other.get_by_role("button", name="Accept the licenses").click()
    expect(other.get_by_text("The licenses are now in Contoso CCTV")).to_be_visible()
    expect(other.get_by_role("link", name=license.reference)).to_be_visible()

    other.get_by_role("link", name=license.reference).click()
    expect(other.get_by_role("link", name="Contoso CCTV")).to_be_visible()  # held by
    expect(other.get_by_role("rowheader", name="NVR 1")).to_be_visible()
    expect(other.get_by_text("Received by transfer")).to_be_visible()
    expect(other.get_by_text("Issued", exact=False).first).to_be_visible()  # the earlier history came along
    other.context.close()

    page.goto(f"{base}/licenses/")
    expect(page.get_by_role("link", name=license.reference)).to_have_count(0)
    page.goto(f"{base}/licenses/transfers/")
    expect(page.get_by_text("Transferred")).to_be_visible()
    assert "transferred to Contoso CCTV" in latest_to(members["owner"].email).subject
