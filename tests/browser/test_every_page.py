"""Every page a visitor, a customer or a staff member can reach, on a desktop and on a phone.

Each page is opened at 1280 px and at 390 px. It must fit the width (no sideways scrolling of
the page), have one ``<h1>``, log no console error or CSP violation and, where axe-core is
installed (``bin/test`` installs it from npm), pass axe's checks. A screenshot of every page at
both widths is written to ``test-screenshots/`` on every run, to be looked at.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.demo import DEMO_CUSTOMER, DEMO_INTEGRATOR, DEMO_PASSWORD, DEMO_STAFF
from accounts.models import User
from advisories.models import Advisory, IncidentNotice
from community.models import Topic
from contact.models import Inquiry
from legal.models import Policy, PolicyVersion
from licensing import services
from licensing.access import visible_licenses
from licensing.demo import DEMO_PARTNER, PARTNER_COMPANY
from licensing.models import LicenseTransfer, Release
from licensing.services import integrators
from licensing.services.transfers import offer_transfer
from organizations import invitations
from organizations.services import create_organization, personal_organization
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-screenshots"
AXE = ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 390}
# The admin is Django's own; its markup is checked by Django. What we add to it is checked here.
AXE_IMPACTS = {"serious", "critical"}


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


def visit_every_width(page: Page, base: str, persona: str, paths: list[str], findings: Findings) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    slugs: list[str] = []
    for path in paths:
        slug = re.sub(r"[^a-z0-9]+", "-", UUID_OR_ID.sub("x", path.lower())).strip("-") or "home"
        slugs.append(slug)
        if slugs.count(slug) > 1:  # two licenses' pages, say: both screenshots are kept
            slug = f"{slug}-{slugs.count(slug)}"
        for name, width in WIDTHS.items():
            errors.clear()
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + path)
            page.wait_for_load_state("load")
            where = f"{path} at {width} px"
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{persona}--{slug}--{name}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                wide = page.evaluate(WIDEST_ELEMENTS)
                findings.add(where, f"{overflow} px wider than the screen ({wide})")
            if name == "desktop" and page.evaluate(CLIPPED_ADMIN_LIST):
                findings.add(where, "the admin list's columns do not fit: it scrolls sideways")
            if page.locator("h1").count() != 1:
                findings.add(where, f"{page.locator('h1').count()} h1 elements")
            for error in errors:
                if not (path in ERROR_PAGES and "Failed to load resource" in error):
                    findings.add(where, f"console: {error}")
            if AXE.exists() and name == "desktop":
                for violation in run_axe(page):
                    findings.add(where, violation)


# Pages that answer with an error status on purpose: the browser logs the status, nothing more.
ERROR_PAGES = {"/no-such-page/", "/integrators/accept/used-or-unknown/"}
# Django's own change-list search form: its label is an image (Django's markup, not ours).
AXE_EXCLUDE = ["#changelist-search"]

# Ids in paths change from run to run; screenshot names do not.
UUID_OR_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f-]{27}|(?<=/)\d+(?=/)|(?<=/accept/)(?!used-)[^/]+|(?<=/invitations/)[^/]+"
)

# An admin change list whose table is wider than its box (the admin then clips it).
CLIPPED_ADMIN_LIST = """
() => [...document.querySelectorAll('#changelist .results')].some(e => e.scrollWidth > e.clientWidth + 1)
"""

# The elements that stick out to the right, to say what overflows.
WIDEST_ELEMENTS = """
() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.closest('.visually-hidden, .skip-link, .hp-field'))
  .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''))
  .join(', ')
"""


def run_axe(page: Page) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP neither blocks it nor reports it.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async exclude => JSON.stringify((await axe.run({exclude: exclude.map(s => [s])})).violations)",
        AXE_EXCLUDE,
    )
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in json.loads(result)
        if v["impact"] in AXE_IMPACTS
    ]


def sign_in(page: Page, base: str, email: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator('main form button[type="submit"]').first.click()
    page.wait_for_load_state("load")
    if totp_secret:
        page.get_by_label("Code", exact=True).fill(personas.totp_code(totp_secret))
        page.locator('main form button[type="submit"]').first.click()
        page.wait_for_load_state("load")


def reauthenticate(page: Page, base: str) -> None:
    page.goto(f"{base}{reverse('account_reauthenticate')}")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator('main form button[type="submit"]').first.click()
    page.wait_for_load_state("load")


@pytest.fixture
def demo():
    """The demo content (the shipped policies, licenses, machines, inquiries), plus what it lacks."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    customer = User.objects.get(email=DEMO_CUSTOMER)
    license = visible_licenses(customer).order_by("created_at").first()
    system = services.Actor.system()
    own = personal_organization(user=customer)
    suspended = services.issue_license(plan=license.plan, organization=own, actor=system).license
    services.change_status_with_notice(
        license=suspended,
        change="suspend",
        actor=system,
        reason="The invoice for this license is unpaid. Pay it, or write to us.",
    )
    terms = Policy.objects.get(slug=Policy.Slug.TERMS).version_in_force()
    invitation = invitations.invite(
        by=customer, organization=license.organization, email="newcomer@northwind.example", role="viewer"
    ).token
    subscription = visible_licenses(customer).filter(plan__code="pro-1y").order_by("-expires_at").first()
    # An offer to the demo customer from the demo partner's company, to see the acceptance page.
    partner = User.objects.get(email=DEMO_PARTNER)
    contoso = partner.memberships.get(organization__name=PARTNER_COMPANY).organization
    sold = services.issue_license(plan=license.plan, organization=contoso, actor=system).license
    offer = offer_transfer(by=partner, licenses=[sold], recipient_email=DEMO_CUSTOMER)
    return {
        "customer": customer,
        "license": license,
        "suspended": suspended,
        "subscription": subscription,
        "terms": terms,
        "invitation": invitation,
        "offer": offer,
        "transfer": LicenseTransfer.objects.filter(from_organization=license.organization).first(),
        "topic": Topic.objects.filter(author=customer).order_by("pk").first(),
    }


def test_every_public_page_fits_and_passes(page: Page, live_server, demo):
    findings = Findings()
    terms = demo["terms"]
    paths = [
        "/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("contact:form"),
        reverse("legal:index"),
        reverse("legal:policy", args=["privacy"]),
        reverse("legal:policy", args=["terms"]),
        reverse("legal:archive", args=["privacy"]),
        reverse("legal:compare", args=[terms.policy.slug]),
        reverse("licensing:api_docs"),
        reverse("organizations:invitation", args=[demo["invitation"]]),
        reverse("legal:policy", args=["vulnerability-disclosure"]),
        reverse("advisories:list"),
        reverse("advisories:detail", args=["KSA-2026-007"]),
        reverse("advisories:csaf_directory"),
        reverse("community:index"),
        reverse("community:category", args=["cameras"]),
        demo["topic"].get_absolute_url(),
        reverse("community:search") + "?q=stream",
        reverse("licensing:releases"),
        reverse("licensing:release", args=["kalytera-vms", "6.3.0"]),
        reverse("licensing:release", args=["kalytera-vms", "6.2.2"]),
        "/no-such-page/",
    ]
    visit_every_width(page, live_server.url, "public", paths, findings)
    assert not findings.problems, "\n".join(findings.problems)


def test_every_customer_page_fits_and_passes(page: Page, live_server, demo):
    findings = Findings()
    license, suspended = demo["license"], demo["suspended"]
    machine = license.activations.first()
    sign_in(page, live_server.url, DEMO_CUSTOMER)
    reauthenticate(page, live_server.url)  # so that the key and delete pages show themselves
    paths = [
        reverse("accounts:dashboard"),
        reverse("accounts:profile"),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("mfa_index"),
        reverse("usersessions_list"),
        reverse("licensing:list"),
        reverse("licensing:detail", args=[license.public_id]),
        reverse("licensing:detail", args=[suspended.public_id]),
        reverse("licensing:detail", args=[demo["subscription"].public_id]),
        reverse("licensing:offline", args=[license.public_id]),
        reverse("licensing:deactivate", args=[license.public_id, machine.public_id]),
        reverse("licensing:claim"),
        reverse("licensing:trial"),
        reverse("licensing:show_key", args=[license.public_id]),
        reverse("licensing:transfers"),
        f"{reverse('licensing:offer')}?license={license.public_id}",
        reverse("licensing:accept_transfer", args=[demo["offer"].token]),
        reverse("organizations:list"),
        reverse("organizations:detail", args=[license.organization.public_id]),
        reverse("licensing:integrator_invite", args=[license.organization.public_id]),
        reverse("privacy:center"),
        reverse("privacy:your_data"),
        reverse("privacy:security_timeline"),
        reverse("privacy:delete_account"),
        reverse("legal:history"),
        reverse("contact:form"),
        reverse("community:new_topic"),
        reverse("community:name"),
        reverse("community:follows"),
        demo["topic"].get_absolute_url(),
        reverse("community:edit", args=[demo["topic"].posts.get(is_opening=True).pk]),
        reverse("community:report", args=[demo["topic"].posts.exclude(author=demo["customer"]).first().pk]),
    ]
    visit_every_width(page, live_server.url, "customer", paths, findings)
    assert not findings.problems, "\n".join(findings.problems)


def test_every_integrator_page_fits_and_passes(page: Page, live_server, demo):
    findings = Findings()
    license, customer = demo["license"], demo["customer"]
    lead = User.objects.get(email=DEMO_INTEGRATOR)
    another = create_organization(user=customer, name="Contoso Retail")  # a second customer, pending
    invitation = integrators.invite_integrator(by=customer, customer=another, email=lead.email, scope="view")
    integrator = lead.memberships.get(organization__personal_for__isnull=True).organization
    sign_in(page, live_server.url, DEMO_INTEGRATOR)
    paths = [
        reverse("licensing:integrators"),
        reverse("licensing:list"),
        reverse("licensing:detail", args=[license.public_id]),
        reverse("organizations:detail", args=[integrator.public_id]),
        reverse("licensing:integrator_accept", args=[invitation.token]),
        reverse("licensing:integrator_accept", args=["used-or-unknown"]),
    ]
    visit_every_width(page, live_server.url, "integrator", paths, findings)
    assert not findings.problems, "\n".join(findings.problems)


def test_the_destructive_button_looks_destructive(page: Page, live_server, demo):
    sign_in(page, live_server.url, DEMO_CUSTOMER)
    reauthenticate(page, live_server.url)
    page.goto(live_server.url + reverse("privacy:delete_account"))
    delete = page.get_by_role("button", name="Delete my account")
    keep = page.get_by_role("link", name="Keep my account")
    colour = "e => getComputedStyle(e).backgroundColor"
    assert delete.evaluate(colour) == "rgb(166, 27, 27)"  # --bad
    assert keep.evaluate(colour) == "rgb(255, 255, 255)"


def test_every_staff_page_fits_and_passes(page: Page, live_server, demo):
    findings = Findings()
    staff = User.objects.get(email=DEMO_STAFF)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    license = demo["license"]
    inquiry = Inquiry.objects.order_by("pk").first()
    version = PolicyVersion.objects.order_by("pk").first()
    release = Release.objects.get(version="6.3.0")
    assert inquiry is not None and version is not None
    advisory = Advisory.objects.get(identifier="KSA-2026-007")
    incident = IncidentNotice.objects.get()
    sign_in(page, live_server.url, DEMO_STAFF, totp_secret=secret)
    paths = [
        reverse("admin:index"),
        reverse("admin:licensing_license_changelist"),
        reverse("admin:licensing_license_change", args=[license.pk]),
        reverse("admin:licensing_license_issue"),
        reverse("admin:licensing_license_batch"),
        reverse("admin:licensing_license_statistics"),
        reverse("admin:licensing_license_status", args=[license.pk, "suspend"]),
        reverse("admin:licensing_license_renew", args=[license.pk]),
        reverse("admin:licensing_license_free_seat", args=[license.pk]),
        reverse("admin:licensing_license_transfer", args=[license.pk]),
        reverse("admin:licensing_licensetransfer_changelist"),
        reverse("admin:licensing_licensetransfer_change", args=[demo["transfer"].pk]),
        reverse("admin:licensing_plan_changelist"),
        reverse("admin:licensing_release_changelist"),
        reverse("admin:licensing_release_change", args=[release.pk]),
        reverse("admin:licensing_releaseartifact_add"),
        reverse("admin:licensing_releaseartifact_change", args=[release.artifacts.earliest("pk").pk]),
        reverse("admin:organizations_organization_changelist"),
        reverse("admin:organizations_organization_change", args=[license.organization_id]),
        reverse("admin:contact_inquiry_changelist"),
        reverse("admin:contact_inquiry_change", args=[inquiry.pk]),
        reverse("admin:legal_policyversion_changelist"),
        reverse("admin:legal_policyversion_change", args=[version.pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:advisories_advisory_changelist"),
        reverse("admin:advisories_advisory_change", args=[advisory.pk]),
        reverse("admin:advisories_advisory_import"),
        reverse("admin:advisories_advisoryrevision_change", args=[advisory.current_id]),
        reverse("admin:advisories_incidentnotice_changelist"),
        reverse("admin:advisories_incidentnotice_change", args=[incident.pk]),
        reverse("admin:advisories_incident_send", args=[incident.pk]),
        reverse("admin:community_post_changelist") + "?queue=review",
        reverse("admin:community_post_change", args=[demo["topic"].posts.get(is_opening=True).pk]),
        reverse("admin:community_topic_change", args=[demo["topic"].pk]),
        reverse("admin:community_profile_change", args=[demo["customer"].community_profile.pk]),
    ]
    visit_every_width(page, live_server.url, "staff", paths, findings)
    assert not findings.problems, "\n".join(findings.problems)


def test_the_key_has_a_copy_button_with_script_and_stays_selectable_without(
    page: Page, browser, live_server, demo
):
    key_page = live_server.url + reverse("licensing:show_key", args=[demo["license"].public_id])
    sign_in(page, live_server.url, DEMO_CUSTOMER)
    reauthenticate(page, live_server.url)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(key_page)
    page.get_by_role("button", name="Copy the key").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    key = page.locator("#license-key").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == key

    without_script = browser.new_context(java_script_enabled=False)
    plain = without_script.new_page()
    plain.context.add_cookies(page.context.cookies())
    plain.goto(key_page)
    assert plain.locator("#license-key").inner_text() == key
    assert not plain.get_by_role("button", name="Copy the key").is_visible()
    without_script.close()
