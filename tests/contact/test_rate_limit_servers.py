"""The contact form's rate limit counts submissions on every app server process together."""

import os

import pytest

from contact.models import Inquiry
from tests.servers import field_value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FORM = "/contact/"


def fill(page_html: str, name: str) -> dict[str, str]:
    return {
        "name": name,
        "email": "ada@analytical.example",
        "topic": "support",
        "message": "The stream stops at night.",
        "website": "",
        "form_token": field_value(page_html, "form_token"),
    }


@pytest.mark.parametrize("cache", ["redis", "database"])
def test_submissions_on_two_servers_share_one_limit(start_app_servers, cache):
    if cache == "redis" and not os.environ.get("REDIS_URL"):
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs Redis: set REDIS_URL.")
        pytest.skip("needs Redis (set REDIS_URL)")
    servers = start_app_servers(
        CONTACT_RATE_LIMITS="3/10m",
        CONTACT_MIN_FILL_SECONDS="0",  # the time trap is tested elsewhere; here only counting matters
        **({} if cache == "redis" else {"REDIS_URL": ""}),
    )
    first, second = servers.clients()
    statuses = []
    for client, name in ((first, "one"), (second, "two"), (first, "three"), (second, "four")):
        page = client.get(FORM)
        assert page.status == 200
        statuses.append(client.post(FORM, fill(page.body, name)).status)
    # Each server alone saw only two submissions; together they saw four.
    assert statuses == [302, 302, 302, 429]
    assert sorted(Inquiry.objects.values_list("name", flat=True)) == ["one", "three", "two"]

    refused = first.post(FORM, fill(first.get(FORM).body, "five"))
    assert refused.status == 429
    assert 0 < int(refused.headers["retry-after"]) <= 600
    assert "mailto:support@kalytera.example" in refused.body


def test_one_form_sent_to_both_servers_stores_one_inquiry(start_app_servers):
    servers = start_app_servers(CONTACT_MIN_FILL_SECONDS="0")
    first, second = servers.clients()
    data = fill(first.get(FORM).body, "once")
    second.get(FORM)  # its own CSRF cookie; the form data are the first page's
    responses = [first.post(FORM, data), second.post(FORM, data)]
    assert [r.status for r in responses] == [302, 302]
    assert Inquiry.objects.count() == 1
    reference = Inquiry.objects.get().reference
    assert all(
        reference in client.get(r.location.removeprefix("http://localhost")).body
        for client, r in zip((first, second), responses, strict=True)
    )
