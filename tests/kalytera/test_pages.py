"""Every page: accessible markup that works under the strict CSP, nothing from another host,
the security headers, and no cookie beyond the session and CSRF cookies."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.urls import reverse

from tests import personas
from tests.pages import page_problems, wording_problems

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    "home",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_request_login_code",
]
CUSTOMER_PAGES = [
    "accounts:dashboard",
    "accounts:profile",
    "account_email",
    "account_change_password",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_list_webauthn",
    "usersessions_list",
]
MFA_PAGES = [
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_reauthenticate",
]
SECURITY_HEADERS = {
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@pytest.fixture
def signed_in(client, customer):
    """A customer signed in through the login form who has just re-entered the password,
    so pages behind allauth's reauthentication open."""
    response = client.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("account_reauthenticate"), {"password": personas.PASSWORD})
    assert response.status_code == 302
    return client


def assert_good_page(response) -> None:
    assert response.status_code == 200, response.get("Location")
    assert page_problems(response.content.decode()) == []
    assert wording_problems(response.content.decode()) == []
    for header, value in SECURITY_HEADERS.items():
        assert response[header] == value
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert set(response.cookies) <= {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_public_pages_are_accessible_and_csp_clean(client, name):
    assert_good_page(client.get(reverse(name)))


@pytest.mark.parametrize("name", CUSTOMER_PAGES)
def test_account_pages_are_accessible_and_csp_clean(signed_in, name):
    assert_good_page(signed_in.get(reverse(name)))


@pytest.mark.parametrize("name", MFA_PAGES)
def test_two_factor_pages_are_accessible_and_csp_clean(signed_in, customer, name):
    personas.give_totp(customer)
    RecoveryCodes.activate(customer)
    assert_good_page(signed_in.get(reverse(name)))


def test_code_pages_of_signup_login_and_reset_are_accessible(client, customer):
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
            "age_confirmed": "on",
            "policies_accepted": "on",
        },
    )
    assert_good_page(client.get(reverse("account_email_verification_sent")))

    other = client.__class__()
    other.post(reverse("account_request_login_code"), {"email": customer.email})
    assert_good_page(other.get(reverse("account_confirm_login_code")))

    third = client.__class__()
    third.post(reverse("account_reset_password"), {"email": customer.email})
    assert_good_page(third.get(reverse("account_confirm_password_reset_code")))


def test_error_pages_are_accessible(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert page_problems(response.content.decode()) == []


def test_email_change_page_with_a_pending_change_hides_its_form_without_inline_style(signed_in, customer):
    # A change waiting for verification (as left when the code is entered later).
    EmailAddress.objects.create(user=customer, email="carla.new@example.com", verified=False, primary=False)
    response = signed_in.get(reverse("account_email"))
    assert_good_page(response)
    assert '<form hidden id="pending-email"' in " ".join(response.content.decode().split())


def test_page_checker_finds_what_the_csp_would_block():
    page = (
        '<html lang="en"><body><header><nav></nav></header><main><h1>T</h1>'
        '<script>alert(1)</script><p style="color:red" onclick="x()">x</p>'
        '<img src="https://cdn.example/x.png"><input name="q"></main><footer></footer></body></html>'
    )
    problems = " | ".join(page_problems(page))
    assert "inline <script>" in problems
    assert "style attribute" in problems
    assert "event handler onclick" in problems
    assert "reaches another host" in problems
    assert "has no label" in problems


def test_wording_checker_finds_mixed_names_and_title_case():
    page = "<h1>Manage Your Sessions</h1><p>Log in or <a>Sign Up</a>.</p><input type=submit value='Sign In'>"
    problems = " | ".join(wording_problems(page))
    assert "'Log in' where the site says 'Sign in'" in problems
    assert "'Sign Up'" in problems and "'Sign In'" in problems
    assert "Title Case in 'Manage Your Sessions'" in problems
    assert wording_problems("<h1>Where you are signed in</h1><button>Sign in to Kalytera</button>") == []
