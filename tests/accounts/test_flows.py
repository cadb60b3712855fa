"""allauth's account flows as configured here: codes by email, notices, reauthentication,
two-factor, sessions, and password hashes."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from accounts.models import User
from outbox.models import OutboundEmail
from tests import personas
from tests.outbox import code_in, emails_to, latest_to

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-unusual-passphrase"


def login(client, email: str, password: str = personas.PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def reauthenticate(client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": personas.PASSWORD})
    assert response.status_code == 302


# --- Login and logout --------------------------------------------------------------------


def test_login_by_password_and_logout_by_post(client, customer):
    assert login(client, customer.email).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200  # a confirmation page only
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_a_password_login_stays_within_its_queries(client, customer, django_assert_max_num_queries):
    # Find the account (2), deletion pending (1), verified email and two-factor stages (2),
    # new session key and row (4), last login (1), session list and the session (4), the
    # security timeline (1), the session's data at the end (3); savepoints count here.
    with django_assert_max_num_queries(18):
        assert login(client, customer.email).status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, customer):
    for email in (customer.email, "nobody@example.com"):
        response = login(client, email, "wrong-password")
        assert response.status_code == 200
        assert b"The email address and/or password you specified are not correct." in response.content


def test_login_by_emailed_code(client, customer):
    response = client.post(reverse("account_request_login_code"), {"email": customer.email})
    assert response.status_code == 302
    code = code_in(latest_to(customer.email).body_text)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_login_code_request_for_an_unknown_address_looks_the_same(client):
    response = client.post(reverse("account_request_login_code"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")


def test_wrong_login_code_does_not_log_in(client, customer):
    client.post(reverse("account_request_login_code"), {"email": customer.email})
    response = client.post(reverse("account_confirm_login_code"), {"code": "AAAA-BBBB"})
    assert response.status_code == 200
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_older_password_hashes_are_upgraded_to_argon2id_at_login(client, customer, settings):
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.Argon2idHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    customer.password = make_password(personas.PASSWORD, hasher="pbkdf2_sha256")
    customer.save(update_fields=["password"])
    assert login(client, customer.email).status_code == 302
    customer.refresh_from_db()
    assert customer.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_site_wide_cap_on_password_checks_refuses_before_hashing(client, customer, settings):
    settings.ACCOUNT_RATE_LIMITS = {}
    settings.PASSWORD_CHECK_RATE_LIMIT = "2/d"  # a long window: the test never straddles two
    for _ in range(2):
        assert login(client, "nobody@example.com", "wrong-password").status_code == 200
    response = login(client, customer.email)
    assert response.status_code == 200
    assert b"Too many failed sign-in attempts" in response.content
    assert client.get(reverse("accounts:dashboard")).status_code == 302


# --- Password reset and change -------------------------------------------------------------


def test_password_reset_by_code_sets_a_new_password_and_sends_a_notice(client, customer):
    response = client.post(reverse("account_reset_password"), {"email": customer.email})
    assert response.status_code == 302
    code = code_in(latest_to(customer.email).body_text)
    response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert response.status_code == 302
    response = client.post(
        reverse("account_complete_password_reset"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    notice = latest_to(customer.email)
    assert notice.category == OutboundEmail.Category.SECURITY
    assert "password" in notice.subject.lower()


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_password_reset_code")
    assert not User.objects.filter(email="nobody@example.com").exists()


def test_password_change_needs_the_old_password_and_sends_a_notice(client, customer):
    login(client, customer.email)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": personas.PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    notice = latest_to(customer.email)
    assert notice.category == OutboundEmail.Category.SECURITY
    assert "password" in notice.body_text.lower() and "changed" in notice.body_text.lower()


def test_weak_new_password_is_refused(client, customer):
    login(client, customer.email)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": personas.PASSWORD, "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert b"too common" in response.content or b"too short" in response.content


# --- Email change and reauthentication ------------------------------------------------------


def test_email_change_needs_reauthentication(client, customer):
    login(client, customer.email)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "carla.new@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="carla.new@example.com").exists()


def test_email_change_is_verified_by_code_and_notifies_the_old_address(client, customer):
    login(client, customer.email)
    reauthenticate(client)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "Carla.New@Example.com"})
    assert response.status_code == 302
    code = code_in(latest_to("carla.new@example.com").body_text)
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "carla.new@example.com"
    assert list(EmailAddress.objects.filter(user=customer).values_list("email", flat=True)) == [
        "carla.new@example.com"
    ]
    notice = emails_to("carla@customer.example")[-1]
    assert notice.category == OutboundEmail.Category.SECURITY
    assert "carla.new@example.com" in notice.body_text


def test_email_change_to_an_address_in_use_does_not_reveal_the_owner(client, customer, other_customer):
    login(client, customer.email)
    reauthenticate(client)
    response = client.post(reverse("account_email"), {"action_add": "", "email": other_customer.email})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "carla@customer.example"


def test_reauthentication_with_a_wrong_password_is_refused(client, customer):
    login(client, customer.email)
    response = client.post(reverse("account_reauthenticate"), {"password": "wrong-password"})
    assert response.status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 302


# --- Two-factor authentication ----------------------------------------------------------------


def test_totp_setup_needs_a_valid_code_then_asks_for_it_at_login(
    client, customer, django_capture_on_commit_callbacks
):
    login(client, customer.email)
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=customer, type=Authenticator.Type.TOTP).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the notice is sent after commit
        response = client.post(reverse("mfa_activate_totp"), {"code": personas.totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=customer, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=customer, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert latest_to(customer.email).category == OutboundEmail.Category.SECURITY

    client.post(reverse("account_logout"))
    response = login(client, customer.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("accounts:dashboard")).status_code == 302  # not in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_recovery_code_logs_in_once(client, customer):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    personas.give_totp(customer)
    codes = RecoveryCodes.activate(customer).get_unused_codes()
    login(client, customer.email)
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    login(client, customer.email)
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 200


def test_passkeys_are_offered(client, customer):
    login(client, customer.email)
    reauthenticate(client)
    response = client.get(reverse("mfa_add_webauthn"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/mfa/js/webauthn.js" in html
    assert 'type="application/json"' in html  # options as data, read by the script file
    assert "passkey" in Client().get(reverse("account_login")).content.decode().lower()


# --- Sessions ---------------------------------------------------------------------------------


def test_sessions_page_lists_sessions_and_ends_another_one(client, customer):
    other_device = Client(HTTP_USER_AGENT="Other device")
    login(other_device, customer.email)
    login(client, customer.email)
    response = client.get(reverse("usersessions_list"))
    assert response.status_code == 200
    assert UserSession.objects.filter(user=customer).count() == 2
    response = client.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert UserSession.objects.filter(user=customer).count() == 1
    assert other_device.get(reverse("accounts:dashboard")).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_sessions_of_another_user_are_not_listed(client, customer, other_customer):
    login(Client(), other_customer.email)
    login(client, customer.email)
    response = client.get(reverse("usersessions_list"))
    assert other_customer.email.encode() not in response.content
    assert UserSession.objects.filter(user=other_customer).count() == 1


@pytest.mark.parametrize(
    ("persona", "onward"), [("customer", "accounts:dashboard"), ("licensing_user", "admin:index")]
)
def test_the_recovery_codes_page_offers_download_and_a_way_on(
    client, reauthenticate, request, persona, onward
):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = request.getfixturevalue(persona)
    personas.give_totp(user)
    codes = RecoveryCodes.activate(user).get_unused_codes()
    client.force_login(user)
    reauthenticate(client)
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert codes[0] in html
    assert 'download="kalytera-recovery-codes.txt" href="data:text/plain;charset=utf-8,' + codes[0] in html
    assert f'class="button" href="{reverse(onward)}"' in html
    assert "<script" not in html  # no script needed to get on
