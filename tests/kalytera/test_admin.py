"""The staff admin: hidden from customers, entered through allauth, only with two-factor set up."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests import personas

pytestmark = pytest.mark.django_db

ADMIN = f"/{settings.ADMIN_URL}"


def test_anonymous_visitor_is_sent_to_the_allauth_login(client):
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert response.status_code == 200


def test_admin_login_page_hands_over_to_allauth_keeping_the_destination(client):
    response = client.get(f"{ADMIN}login/?next={ADMIN}accounts/user/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("path", ["", "login/", "accounts/user/", "auth/group/", "logout/"])
def test_customer_gets_404_on_every_staff_page(customer_client, path):
    assert customer_client.get(f"{ADMIN}{path}").status_code == 404


def test_customer_with_two_factor_still_gets_404(client, customer):
    personas.give_totp(customer)
    client.force_login(customer)
    assert client.get(ADMIN).status_code == 404


def test_staff_without_two_factor_is_sent_to_set_it_up(client, support_user):
    client.force_login(support_user)
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain == [(reverse("mfa_index"), 302)]
    assert b"Staff accounts need two-factor authentication" in response.content


def test_only_staff_see_the_link_to_the_admin(client, customer, support_user):
    client.force_login(customer)
    assert f'href="{ADMIN}"'.encode() not in client.get("/").content
    client.force_login(support_user)
    assert f'href="{ADMIN}">Staff admin'.encode() in client.get("/").content


def test_staff_with_two_factor_opens_the_admin(staff_client_for, support_user):
    client = staff_client_for(support_user)
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert b"Kalytera staff" in response.content


def test_staff_group_without_a_permission_cannot_open_that_model(staff_client_for, support_user):
    client = staff_client_for(support_user)
    assert client.get(f"{ADMIN}accounts/user/").status_code == 403


def test_superuser_with_two_factor_manages_users(staff_client_for, superuser, customer):
    client = staff_client_for(superuser)
    response = client.get(f"{ADMIN}accounts/user/")
    assert response.status_code == 200
    assert customer.email.encode() in response.content


def test_deactivated_staff_member_is_signed_out_of_the_admin(client, support_user):
    personas.give_totp(support_user)
    client.force_login(support_user)
    support_user.is_active = False
    support_user.save(update_fields=["is_active"])
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}login/")


def test_admin_logout_is_post_only(staff_client_for, support_user):
    client = staff_client_for(support_user)
    assert client.get(f"{ADMIN}logout/").status_code == 405


def test_staff_groups_hold_no_account_or_auth_permission_beyond_viewing_deletions():
    # Each app's own migration grants its group what it needs; no group may edit accounts or
    # permissions. Support may look at pending deletions, because people ask about them.
    allowed = {"Support": {"view_deletionrequest", "view_deletionrecord"}}
    for name in ("Support", "Licensing", "Legal", "Security"):
        group = Group.objects.get(name=name)
        held = set(
            group.permissions.filter(content_type__app_label__in=["accounts", "auth"]).values_list(
                "codename", flat=True
            )
        )
        assert held == allowed.get(name, set())
    assert Permission.objects.exists()


@pytest.mark.parametrize("path", ["", "accounts/user/", "auth/group/add/", "mfa/authenticator/"])
def test_admin_pages_need_nothing_the_csp_blocks(staff_client_for, superuser, path):
    from tests.pages import page_problems

    response = staff_client_for(superuser).get(f"{ADMIN}{path}")
    assert response.status_code == 200
    blocked = [p for p in page_problems(response.content.decode()) if "CSP" in p or "another host" in p]
    assert blocked == []


def test_each_app_appears_once_on_the_admin_index(staff_client_for, superuser):
    html = staff_client_for(superuser).get(reverse("admin:index")).content.decode()
    captions = re.findall(r"<caption>\s*<a [^>]*>([^<]+)</a>", html)
    assert captions and len(captions) == len(set(captions)), captions


def test_change_lists_have_the_whole_width(staff_client_for, superuser):
    html = staff_client_for(superuser).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert 'id="nav-sidebar"' not in html


def test_the_admin_writes_dates_like_the_rest_of_the_platform(staff_client_for, superuser, customer):
    html = staff_client_for(superuser).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert customer.date_joined.strftime("%Y-%m-%d %H:%M UTC") in html


@pytest.mark.parametrize("path", ["password_change/", "password_change/done/"])
def test_the_admin_password_change_is_allauths(staff_client_for, support_user, path):
    client = staff_client_for(support_user)
    response = client.get(f"{ADMIN}{path}")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def test_a_password_posted_to_the_admin_form_is_not_changed(staff_client_for, support_user):
    client = staff_client_for(support_user)
    new = "another-long-unusual-passphrase"
    client.post(
        f"{ADMIN}password_change/",
        {"old_password": personas.PASSWORD, "new_password1": new, "new_password2": new},
    )
    support_user.refresh_from_db()
    assert support_user.check_password(personas.PASSWORD)
