"""Security staff publish an advisory in a real browser; the affected customer is told and warned, the
up-to-date customer is not, and the VMS reference client shows the advisory on check-in."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from advisories.models import AdvisoryNotice
from kalytera_client import api, identity
from legal import loader
from legal import services as legal_services
from licensing import services as licensing_services
from tests import personas
from tests.browser.test_every_page import Findings, visit_every_width
from tests.licensing.conftest import held_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AFFECTED = identity.derive("recorder-affected", {"board": "B-1", "disk": "D-1"})
CURRENT = identity.derive("recorder-current", {"board": "B-2", "disk": "D-2"})


def sign_in(page: Page, base: str, email: str, next_path: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_login", email)
    page.fill("#id_password", personas.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret:
        page.fill("#id_code", personas.totp_code(totp_secret))
        page.get_by_role("button", name="Sign in", exact=True).click()


def customer_with_machine(plan, email: str, machine: identity.MachineIdentity, version: str):
    customer = personas.make_customer(email)
    legal_services.record_signup_acceptances(user=customer)
    issued = licensing_services.issue_license(
        plan=plan, organization=held_by(customer), actor=licensing_services.Actor.system()
    )
    licensing_services.activate_machine(
        key=issued.key, fingerprint=machine.fingerprint, label=f"Recorder {version}", product_version=version
    )
    return customer, issued


def test_staff_publish_an_advisory_and_only_the_affected_customer_is_told(
    live_server, page: Page, browser, plan, settings
):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.LICENSING_API_RATE_PER_ADDRESS = "10000/m"
    loader.load()
    affected, affected_license = customer_with_machine(plan, "ana@affected.example", AFFECTED, "6.2.1")
    current, current_license = customer_with_machine(plan, "ben@current.example", CURRENT, "6.3.0")
    staff = personas.make_staff("sam@kalytera.example", "Security")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    base = live_server.url

    # Security staff create the advisory and write its first revision.
    sign_in(page, base, staff.email, "/staff-admin/advisories/advisory/add/", totp_secret=secret)
    page.fill("#id_identifier", "KSA-2027-001")
    page.select_option("#id_product", label=plan.product.name)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Write its first revision")
    page.fill("#id_title", "Authentication bypass in the recording server API")
    page.fill("#id_summary", "A crafted request lets an attacker on the network read recordings.")
    page.fill("#id_cve_ids", "CVE-2027-12345")
    page.fill("#id_cvss_vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    page.fill("#id_affected_ranges", "6.2.x")
    page.fill("#id_fixed_versions", "6.2.2")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Preview, then publish.
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_text("Preview of an unpublished revision")).to_be_visible()
    expect(page.get_by_text("Critical 9.8")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="Publish").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messagelist")).to_contain_text("KSA-2027-001 revision 1 is published")

    # The scheduler's job emails the affected customer, and only them.
    mail.outbox.clear()
    call_command("process_security_notices", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AdvisoryNotice.objects.filter(user=affected).count() == 1
    (message,) = [m for m in mail.outbox if affected.email in m.to]
    assert "KSA-2027-001" in message.subject
    assert "Recorder 6.2.1" in message.body and "update to 6.2.2" in message.body
    assert not [m for m in mail.outbox if current.email in m.to]

    # The affected customer sees the warning on the license page; the other customer does not.
    customer_page = browser.new_page()
    sign_in(customer_page, base, affected.email, f"/licenses/{affected_license.license.public_id}/")
    expect(customer_page.get_by_role("heading", name="Security update needed")).to_be_visible()
    expect(customer_page.locator("td").filter(has_text="Affected by KSA-2027-001")).to_contain_text(
        "update to 6.2.2"
    )
    other_page = browser.new_page()
    sign_in(other_page, base, current.email, f"/licenses/{current_license.license.public_id}/")
    expect(other_page.get_by_role("heading", level=1)).to_have_text(re.compile("License"))
    expect(other_page.get_by_text("Affected by")).to_have_count(0)

    # The VMS reference client shows the advisory on check-in.
    client = api.LicensingClient(base)
    checked = client.validate(license_key=affected_license.key, identity=AFFECTED, product_version="6.2.1")
    assert [(a["id"], a["fixed_version"]) for a in checked.advisories] == [("KSA-2027-001", "6.2.2")]
    assert (
        client.validate(license_key=current_license.key, identity=CURRENT, product_version="6.3.0").advisories
        == ()
    )

    # The public pages: list, advisory, CSAF directory; at both widths, with axe.
    findings = Findings()
    public = ["/security/advisories/", "/security/advisories/KSA-2027-001/", "/.well-known/csaf/white/"]
    visit_every_width(browser.new_page(), base, "public", public, findings)
    visit_every_width(
        customer_page, base, "customer", [f"/licenses/{affected_license.license.public_id}/"], findings
    )
    staff_pages = [
        "/staff-admin/advisories/advisory/",
        "/staff-admin/advisories/advisory/import/",
        "/staff-admin/advisories/advisoryrevision/",
        "/staff-admin/advisories/incidentnotice/add/",
    ]
    visit_every_width(page, base, "staff", staff_pages, findings)
    assert not findings.problems, "\n".join(findings.problems)
