"""A material Terms change, from the legal team's draft to a customer's acceptance, in a real browser."""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from legal import loader
from legal.models import Acceptance, ChangeNotice, Policy, PolicyVersion
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_CLAUSE = "Each license now covers a standby server at no extra cost."


def totp_code(user: User) -> str:
    """The code the staff member's authenticator app shows right now."""
    secret = decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_login", email)
    page.fill("#id_password", personas.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_legal_editor_schedules_a_material_change_and_a_customer_accepts_it(
    transactional_db, live_server, page: Page, browser, settings
):
    # A stand-in for the license pages (built elsewhere): the gate applies to this prefix too.
    settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES = ["/licenses/", "/account/profile/"]
    loader.load()
    editor = personas.make_staff("leo@kalytera.example", "Legal")
    personas.give_totp(editor)
    customer = personas.make_customer()
    terms = Policy.objects.get(slug="terms").version_in_force()
    assert terms is not None
    Acceptance.objects.create(user=customer, version=terms, source="signup")
    User.objects.filter(pk=customer.pk).update(date_joined=timezone.now() - timedelta(days=90))
    base = live_server.url

    # The legal editor signs in with password and authenticator code.
    sign_in(page, base, editor.email, "/staff-admin/legal/policyversion/")
    page.fill("#id_code", totp_code(editor))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("policy version", re.I)).first).to_be_visible()

    # Drafts the change from the version in force.
    page.get_by_role("button", name="New draft of the Terms of Service").click()
    body = page.locator("#id_body")
    body.fill(body.input_value() + f"\n\n## Standby servers\n\n{NEW_CLAUSE}\n")
    page.fill("#id_summary", "Licenses now cover a standby server.")
    page.check("#id_material")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Previews it exactly as the public page will look.
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_text("Preview of a draft.")).to_be_visible()
    expect(page.get_by_role("heading", name="Standby servers")).to_be_visible()
    expect(page.get_by_text(NEW_CLAUSE)).to_be_visible()
    page.go_back()

    # Schedules it for two days from now.
    page.get_by_role("link", name="Publish or schedule").click()
    effective = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    page.get_by_label("Schedule for a later date").check()
    page.fill("#id_effective_at", effective.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(re.compile("I have checked the preview")).check()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messagelist")).to_contain_text("Version 2 is scheduled")
    version = PolicyVersion.objects.get(policy__slug="terms", number=2)
    assert version.status == PolicyVersion.Status.SCHEDULED and version.effective_at == effective

    # Until then the public page announces it and the old text stays in force.
    page.goto(f"{base}/legal/terms/")
    expect(page.get_by_role("heading", name=re.compile("Coming change: version 2"))).to_be_visible()
    expect(page.get_by_text(NEW_CLAUSE)).to_have_count(0)

    customer_page = browser.new_page()
    with time_machine.travel(effective + timedelta(minutes=1), tick=True):
        call_command("process_policy_changes")  # what the scheduler runs every few minutes
        assert ChangeNotice.objects.filter(user=customer, version=version).count() == 1

        # The customer signs in, sees the notice, and is asked to accept before going on.
        sign_in(customer_page, base, customer.email, "/account/")
        expect(customer_page.get_by_text("Our Terms of Service changed on")).to_be_visible()
        customer_page.goto(f"{base}/account/profile/")
        expect(customer_page).to_have_url(re.compile(r"/legal/terms/accept/\?next=%2Faccount%2Fprofile%2F$"))
        expect(customer_page.get_by_role("heading", level=1)).to_have_text(
            "Please review the new Terms of Service"
        )
        expect(
            customer_page.locator("main").get_by_text("Licenses now cover a standby server.")
        ).to_be_visible()

        customer_page.get_by_role("link", name=re.compile("See every change")).click()
        expect(customer_page.locator("ins").filter(has_text=NEW_CLAUSE)).to_be_visible()
        customer_page.go_back()

        customer_page.get_by_label("I have read and accept this version.").check()
        customer_page.get_by_role("button", name="Accept and continue").click()
        expect(customer_page).to_have_url(f"{base}/account/profile/")
        expect(customer_page.get_by_role("heading", level=1)).to_have_text("Profile")
        expect(customer_page.get_by_text("Our Terms of Service changed on")).to_have_count(0)

    acceptance = Acceptance.objects.get(user=customer, version=version)
    assert acceptance.source == Acceptance.Source.PROMPT
