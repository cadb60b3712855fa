"""Browsers named as people read them, on the session list and the security timeline."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.user_agents import describe
from tests import personas

WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WINDOWS_EDGE = MAC_CHROME.replace("Macintosh; Intel Mac OS X 10_15_7", "Windows NT 10.0") + " Edg/131.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537"


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        (MAC_CHROME, "Chrome on macOS"),
        (WINDOWS_EDGE, "Edge on Windows"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (ANDROID_CHROME, "Chrome on Android"),
        (
            ANDROID_CHROME.replace("Linux; Android 14; Pixel 8", "X11; Linux x86_64").replace(
                "Chrome/", "HeadlessChrome/"
            ),
            "Chrome on Linux",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        ("SomeRobot/1.0 " + "x" * 80, "SomeRobot/1.0 " + "x" * 25 + "…"),
    ],
)
def test_a_user_agent_is_named_as_browser_on_system(user_agent, expected):
    assert describe(user_agent) == expected


@pytest.mark.django_db
def signed_in(user, user_agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    client.post(reverse("account_login"), {"login": user.email, "password": personas.PASSWORD})
    return client


def test_the_session_list_names_browsers_labels_every_column_and_says_what_sign_out_ends(customer):
    client = signed_in(customer, WINDOWS_FIREFOX)
    page = client.get(reverse("usersessions_list")).content.decode()
    assert "Firefox on Windows" in page
    assert f">{WINDOWS_FIREFOX}<" not in page
    header = page.split("<thead>")[1].split("</thead>")[0]
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert header.count("<th") == row.count("<td") == 5
    assert "Sign out this session" in page
    assert ">Sign Out<" not in page

    signed_in(customer, IPHONE_SAFARI)
    page = client.get(reverse("usersessions_list")).content.decode()
    assert "Safari on iPhone" in page
    assert "Sign out all other sessions" in page


@pytest.mark.django_db
def test_the_security_timeline_names_the_browser(customer):
    page = signed_in(customer, MAC_CHROME).get(reverse("privacy:security_timeline")).content.decode()
    assert "Chrome on macOS" in page
