"""A license's emails link to its pages through the URL configuration, also under a path prefix."""

from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone

from licensing import services
from licensing.links import detail_path
from licensing.models import License, Plan
from licensing.services import Actor
from licensing.services.reminders import send_reminders
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

SITE = "https://licenses.example"


@pytest.fixture
def under_a_prefix(settings) -> Iterator[str]:
    """A deployment at https://licenses.example/portal/ (FORCE_SCRIPT_NAME=/portal)."""
    settings.SITE_URL = SITE
    before = get_script_prefix()
    set_script_prefix("/portal/")
    yield f"{SITE}/portal"
    set_script_prefix(before)


def test_license_emails_link_under_the_path_prefix(under_a_prefix, issue, customer, make_plan):
    base = under_a_prefix
    issued, _ = issue(customer, notify=True)
    license_url = f"{base}/licenses/{issued.public_id}/"
    contact = f"{base}/contact/?topic=licensing&license={issued.key_prefix}"

    email = OutboundEmail.objects.latest("pk")
    assert license_url in email.body_text and f'href="{license_url}"' in email.body_html

    services.change_status_with_notice(license=issued, change="suspend", actor=Actor.system(), reason="Late")
    email = OutboundEmail.objects.latest("pk")
    assert license_url in email.body_text and contact in email.body_text
    assert f'href="{contact.replace("&", "&amp;")}"' in email.body_html

    issued.expires_at = timezone.now() + timedelta(days=20)
    issued.status = "active"
    issued.save(update_fields=["expires_at", "status"])
    assert send_reminders() == 1
    assert license_url in OutboundEmail.objects.latest("pk").body_text

    perpetual, _ = issue(customer, plan_=make_plan(Plan.Kind.PERPETUAL))
    perpetual.upgrade_plan_until = (timezone.now() + timedelta(days=6)).date()
    perpetual.save(update_fields=["upgrade_plan_until"])
    assert send_reminders() == 1
    email = OutboundEmail.objects.latest("pk")
    assert f"{base}/licenses/{perpetual.public_id}/" in email.body_text
    privacy = f"{base}/account/privacy/"
    assert privacy in email.body_text and f'href="{privacy}"' in email.body_html


@pytest.mark.parametrize("prefix", ["/", "/portal/"])
def test_the_path_of_a_license_page_is_the_one_reverse_gives(prefix):
    license = License(public_id=uuid4())
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        assert detail_path(license) == reverse("licensing:detail", kwargs={"license_id": license.public_id})
        assert detail_path(license).startswith(prefix)
    finally:
        set_script_prefix(before)
