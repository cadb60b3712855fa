"""A visitor writes to us; a support staff member signs in with a real TOTP code, takes the
inquiry and answers; the answer arrives in the visitor's mailbox (the local SMTP server)."""

import io
import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.management import call_command
from playwright.sync_api import expect

from contact.models import Inquiry
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISITOR = "ada@analytical.example"


def collect_console_errors(page) -> list[str]:
    """Errors the browser reports, CSP violations among them."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def current_totp(secret: str) -> str:
    """The authenticator app's code; near the end of a period, the next period's (no race)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def test_visitor_inquiry_is_answered_by_support_and_the_reply_arrives(
    live_server, page, browser, smtp_sink, settings
):
    settings.CONTACT_MIN_FILL_SECONDS = 1
    # Email waits in the outbox until the delivery runs, as with a worker that is behind.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    staff = personas.make_staff("sam@kalytera.example", "Support")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    visitor_errors = collect_console_errors(page)

    # The visitor, without an account.
    page.goto(f"{live_server.url}/contact/")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill(VISITOR)
    page.get_by_label("Topic").select_option("support")
    page.get_by_label("Your message").fill("Camera 3 drops its stream every night at 02:00.")
    page.wait_for_timeout(1200)  # a person takes longer than the minimum fill time
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your message was sent")
    reference = page.locator(".reference").inner_text()
    inquiry = Inquiry.objects.get()
    assert reference == inquiry.reference
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", reference)

    # The support staff member, in a browser of their own.
    context = browser.new_context()
    staff_page = context.new_page()
    staff_errors = collect_console_errors(staff_page)
    staff_page.goto(f"{live_server.url}/{settings.ADMIN_URL}")
    staff_page.locator('input[name="login"]').fill(staff.email)
    staff_page.locator('input[name="password"]').fill(personas.PASSWORD)
    staff_page.locator('input[name="password"]').press("Enter")
    staff_page.locator('input[name="code"]').fill(current_totp(secret))
    staff_page.locator('input[name="code"]').press("Enter")
    expect(staff_page.get_by_role("link", name="Inquiries")).to_be_visible()

    staff_page.get_by_role("link", name="Inquiries").click()
    staff_page.get_by_role("link", name=reference).click()
    expect(staff_page.locator(".thread-original")).to_contain_text("Camera 3 drops its stream")
    staff_page.locator('select[name="CHANGE_FORM-action"]').select_option("assign_to_me")
    staff_page.get_by_role("button", name="Run").click()
    expect(staff_page.locator(".messagelist")).to_contain_text("assigned to you")
    inquiry.refresh_from_db()
    assert inquiry.assignee == staff and inquiry.status == Inquiry.Status.OPEN

    staff_page.get_by_label("Reply to the sender").fill("Please update to 7.2; it fixes the nightly drop.")
    staff_page.get_by_label("Internal note").fill("Known issue in 7.1.")
    staff_page.get_by_role("button", name="Save and continue editing").click()
    expect(staff_page.locator(".messagelist")).to_contain_text(f"Reply queued for delivery to {VISITOR}")
    expect(staff_page.locator(".thread-reply")).to_contain_text("Please update to 7.2")
    expect(staff_page.locator(".thread-note")).to_contain_text("Known issue in 7.1.")
    context.close()
    assert visitor_errors == []
    # The admin pages may miss a favicon; what matters is that the CSP blocked nothing.
    assert [error for error in staff_errors if "Content Security Policy" in error] == []

    # The outbox is delivered (as the worker and the periodic job do) to the SMTP server.
    assert smtp_sink.messages == []
    call_command("deliver_emails", stdout=io.StringIO())
    received = smtp_sink.to(VISITOR)
    subjects = [message["Subject"] for message in received]
    assert f"We received your message ({reference})" in subjects
    [reply] = [message for message in received if message["Subject"].startswith("Re:")]
    assert reference in reply["Subject"]
    assert "Please update to 7.2" in reply.get_body(("plain",)).get_content()
    assert all("Known issue" not in message.as_string() for message in smtp_sink.messages)
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.WAITING
