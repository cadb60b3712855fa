"""A customer downloads their data, deletes the account, and cannot sign in afterwards."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.privacy import deletion
from tests import personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', personas.PASSWORD)
    page.locator('main form button[type="submit"]').first.click()


def test_customer_downloads_their_data_then_deletes_the_account(live_server, page, tmp_path):
    customer = personas.make_customer(company="Carla Cameras GmbH")
    base = live_server.url
    sign_in(page, base, customer.email)
    page.wait_for_url(f"{base}/account/")
    page.get_by_role("link", name="Privacy center").click()
    page.wait_for_url(f"{base}/account/privacy/")

    # The copy needs the password again (reauthentication), then it is ready at once.
    page.get_by_role("button", name="Prepare a copy of my data").click()
    page.fill('input[name="password"]', personas.PASSWORD)
    page.locator('main form button[type="submit"]').first.click()
    page.wait_for_url(f"{base}/account/privacy/")
    assert page.get_by_text("Your copy is ready to download below.").is_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").first.click()
    target = tmp_path / "copy.json"
    download_info.value.save_as(target)
    document = json.loads(target.read_text())
    account = next(s for s in document["sections"] if s["key"] == "account")["rows"][0]
    assert account == {**account, "email": customer.email, "company": "Carla Cameras GmbH"}

    page.get_by_role("link", name="Delete my account").click()
    page.wait_for_url(f"{base}/account/privacy/delete/")
    assert page.get_by_role("heading", name="What we keep").is_visible()
    page.get_by_label("Type your email address to confirm").fill(customer.email)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(f"{base}/account/privacy/delete/scheduled/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account is scheduled for deletion"

    # During the grace period, the password only leads to the offer to cancel.
    sign_in(page, base, customer.email)
    page.wait_for_url(f"{base}/account/privacy/delete/cancel/")
    assert page.goto(f"{base}/account/").url.startswith(f"{base}/accounts/login/")

    deletion.purge_due(now=timezone.now() + timedelta(days=15))
    assert not User.objects.filter(email=customer.email).exists()
    sign_in(page, base, customer.email)
    assert page.get_by_text("The email address and/or password you specified are not correct.").is_visible()
    assert page.url.startswith(f"{base}/accounts/login/")
