"""A customer asks, a moderator approves the question and hides spam from the queue, another
customer answers, the asker marks the answer and the reply notification reaches the follower."""

import io
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from community import services
from community.models import Category, Post, Profile, Topic
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_totp(secret: str) -> str:
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(personas.PASSWORD)
    page.locator('main form button[type="submit"]').first.click()
    page.wait_for_load_state("load")


def test_a_question_is_answered_marked_and_the_follower_is_told(
    live_server, page, browser, smtp_sink, settings
):
    settings.CONTACT_MIN_FILL_SECONDS = 1
    settings.COMMUNITY_NOTICE_DELAY_SECONDS = 0
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    base = live_server.url
    Category.objects.create(name="Cameras and devices", slug="cameras")
    asker = personas.make_customer("asker@customer.example")
    helper = personas.make_customer("helper@customer.example")
    services.choose_display_name(user=helper, name="Helpful Hanna")
    Profile.objects.filter(user=helper).update(trusted_at=timezone.now())
    spammer = personas.make_customer("spam@spam.example")
    services.choose_display_name(user=spammer, name="Cheap Keys")
    Profile.objects.filter(user=spammer).update(trusted_at=timezone.now())
    moderator = personas.make_staff("mo@kalytera.example", "Community")
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)

    # The asker: first post, so the community asks for a display name first.
    sign_in(page, base, asker.email)
    page.goto(f"{base}/community/")
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Display name").fill("Asking Anna")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask a question")
    page.get_by_label("Title").fill("Stream drops every night at 02:00")
    page.get_by_label("Your question or idea").fill("Camera 3 loses its stream every night.")
    page.wait_for_timeout(1200)
    page.get_by_role("button", name="Post question").click()
    expect(page.locator(".messages")).to_contain_text("checked by a moderator")
    topic = Topic.objects.get(title="Stream drops every night at 02:00")
    page.get_by_role("button", name="Follow this topic").click()
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()

    # The moderator approves the question and hides the spam, from the queue in the admin.
    staff = browser.new_context()
    mod_page = staff.new_page()
    mod_page.goto(f"{base}/{settings.ADMIN_URL}community/post/?queue=review")
    mod_page.locator('input[name="login"]').fill(moderator.email)
    mod_page.locator('input[name="password"]').fill(personas.PASSWORD)
    mod_page.locator('input[name="password"]').press("Enter")
    mod_page.locator('input[name="code"]').fill(current_totp(secret))
    mod_page.locator('input[name="code"]').press("Enter")
    expect(mod_page.locator("#result_list")).to_contain_text("Stream drops every night")
    mod_page.locator(f'input[name="_selected_action"][value="{topic.posts.get(is_opening=True).pk}"]').check()
    mod_page.locator('select[name="action"]').select_option("approve")
    mod_page.get_by_role("button", name="Run").click()
    expect(mod_page.locator(".messagelist")).to_contain_text("published")
    spam = services.reply(author=spammer, topic=topic, body="Buy cheap license keys at keys.example")
    services.report_post(user=helper, post=spam, reason="Advertising")
    mod_page.goto(f"{base}/{settings.ADMIN_URL}community/post/?queue=reported")
    mod_page.get_by_role("link", name=str(spam)).click()
    expect(mod_page.locator(".community-post-source")).to_contain_text("Buy cheap license keys")
    mod_page.get_by_label("Status").select_option("hidden")
    mod_page.get_by_label("Moderation reason").fill("Advertising is not allowed here.")
    mod_page.get_by_role("button", name="Save", exact=True).click()
    expect(mod_page.locator(".messagelist")).to_be_visible()
    spam.refresh_from_db()
    assert spam.status == Post.Status.HIDDEN and spam.moderation_reason == "Advertising is not allowed here."
    staff.close()

    # Another customer answers.
    other = browser.new_context()
    helper_page = other.new_page()
    sign_in(helper_page, base, helper.email)
    helper_page.goto(base + topic.get_absolute_url())
    expect(helper_page.locator("main")).not_to_contain_text("Buy cheap license keys")
    helper_page.get_by_label("Your reply").fill("Set the camera's GOP length to twice the frame rate.")
    helper_page.wait_for_timeout(1200)
    helper_page.get_by_role("button", name="Post reply").click()
    expect(helper_page.locator("main")).to_contain_text("GOP length")
    other.close()

    # The asker marks the answer.
    page.goto(base + topic.get_absolute_url())
    page.get_by_role("button", name="Mark as the answer").click()
    expect(page.locator(".post-answer")).to_contain_text("GOP length")
    topic.refresh_from_db()
    assert topic.answer is not None and topic.answer.author == helper

    # The notice job and the delivery run, as the scheduler runs them.
    call_command("send_community_notices", stdout=io.StringIO())
    call_command("deliver_emails", stdout=io.StringIO())
    [notice] = smtp_sink.to(asker.email)
    assert notice["Subject"] == "New reply: Stream drops every night at 02:00"
    assert "Helpful Hanna replied" in notice.get_body(("plain",)).get_content()
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_sink.to(spammer.email) == []
