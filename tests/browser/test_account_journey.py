"""A customer's first days, in a real Chromium against a live server, without CSP violations."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from tests import personas
from tests.outbox import code_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "dana@customer.example"
PASSWORD = "a-long-and-unusual-passphrase"


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the browser reports (CSP violations among them); a test asserts there are none."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def last_mail_to(address: str) -> str:
    """The body of the last message handed to the mail server for ``address``."""
    return next(str(message.body) for message in reversed(mail.outbox) if address in message.to)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()


def log_in(page: Page, base: str, email: str = EMAIL) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def next_totp_code(secret: str, used: set[str]) -> str:
    """A code not used yet: allauth accepts each code once, so wait for the next one if needed."""
    code = personas.totp_code(secret)
    while code in used:
        time.sleep(1)
        code = personas.totp_code(secret)
    used.add(code)
    return code


def test_sign_up_verify_log_in_set_up_totp_and_end_another_session(
    page: Page, live_server, browser, console_errors
):
    base = live_server.url

    # Sign up; the verification code arrives by email.
    page.goto(base)
    page.get_by_role("banner").get_by_role("link", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create account")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I am 16 years of age or older.").check()
    page.get_by_label("I accept the Terms of Service and have read the Privacy Policy.").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Enter the email verification code"))
    page.get_by_label("Code").fill(code_in(last_mail_to(EMAIL)))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    log_out(page)
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    # Set up an authenticator app (after re-entering the password).
    page.get_by_role("link", name="Set up two-factor authentication").click()
    page.get_by_role("link", name="Activate").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate an authenticator app")
    secret = page.get_by_label("Authenticator secret").input_value()
    used: set[str] = set()
    page.get_by_label("Authenticator code").fill(next_totp_code(secret, used))
    page.get_by_role("button", name="Activate").click()
    user = User.objects.get(email=EMAIL)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    # From now on the password alone is not enough.
    log_out(page)
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Code", exact=True).fill(next_totp_code(secret, used))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    # A second device signs in with a recovery code; the first one ends that session.
    other = browser.new_context()
    other_page = other.new_page()
    log_in(other_page, base)
    recovery_code = RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()[0]
    other_page.get_by_label("Code", exact=True).fill(recovery_code)
    other_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Your account")

    page.goto(f"{base}/account/")
    page.get_by_role("link", name="Where you are signed in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where you are signed in")
    expect(page.locator("table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Sign out all other sessions").click()
    expect(page.locator("table tbody tr")).to_have_count(1)

    other_page.goto(f"{base}/account/")
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Sign in")
    other.close()

    assert console_errors == []
    # The whole journey set no cookie beyond the session and the CSRF cookie.
    assert {cookie["name"] for cookie in page.context.cookies()} <= {"sessionid", "csrftoken"}


def test_passkey_is_added_and_signs_in_under_the_strict_csp(page: Page, live_server, console_errors):
    """allauth's WebAuthn scripts are files and JSON data blocks, so they run under our CSP."""
    base = live_server.url
    user = personas.make_customer(EMAIL)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    # Chromium's virtual authenticator stands in for a security key with a fingerprint reader.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    log_in(page, base)
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key")
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Add a security key")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()

    log_out(page)
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    assert console_errors == []
    assert {cookie["name"] for cookie in page.context.cookies()} <= {"sessionid", "csrftoken"}


def test_console_listener_catches_csp_violations(page: Page, live_server, console_errors):
    # Proves the listener above would see a violation: an inline script is refused.
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in error for error in console_errors)


def test_staff_member_signs_in_to_the_admin_through_allauth_with_two_factor(
    page: Page, live_server, console_errors
):
    base = live_server.url
    staff = personas.make_staff("sam@kalytera.example", "Support")
    staff.set_password(PASSWORD)
    staff.save(update_fields=["password"])

    page.goto(f"{base}/staff-admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    log_in(page, base, email=staff.email)
    page.goto(f"{base}/staff-admin/")
    # No second factor yet: the admin stays shut and says why.
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    expect(page.get_by_text("Staff accounts need two-factor authentication")).to_be_visible()

    page.get_by_role("link", name="Activate").first.click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(next_totp_code(secret, set()))
    page.get_by_role("button", name="Activate").click()

    page.goto(f"{base}/staff-admin/")
    expect(page.get_by_role("heading", name="Staff tools")).to_be_visible()
    assert console_errors == []
