import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(PROFILE, {"company": "X"}).status_code == 302


def test_profile_shows_the_current_values(customer_client, customer):
    customer.phone = "+49301234567"
    customer.company = "Northwind"
    customer.save()
    html = customer_client.get(PROFILE).content.decode()
    assert 'value="Northwind"' in html
    assert 'value="+49 30 1234567"' in html


def test_company_and_phone_are_saved_normalised(customer_client, customer):
    response = customer_client.post(
        PROFILE, {"company": "  Northwind   Security  ", "phone": "+49 (30) 123-4567"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.company == "Northwind Security"
    assert customer.phone == "+49301234567"


def test_both_fields_may_be_cleared(customer_client, customer):
    customer.phone, customer.company = "+49301234567", "Northwind"
    customer.save()
    customer_client.post(PROFILE, {"company": "", "phone": ""})
    customer.refresh_from_db()
    assert (customer.company, customer.phone) == ("", "")


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("030 1234567", "International format"),  # no country code
        ("+49 12", "not valid for its country"),
        ("call me", "International format"),
        ("+1" + "9" * 40, "Ensure this value has at most 40 characters"),
    ],
)
def test_bad_phone_numbers_are_refused_with_a_clear_message(customer_client, customer, phone, message):
    response = customer_client.post(PROFILE, {"company": "", "phone": phone})
    assert response.status_code == 200
    assert message in response.content.decode()
    customer.refresh_from_db()
    assert customer.phone == ""


def test_too_long_company_is_refused(customer_client, customer):
    response = customer_client.post(PROFILE, {"company": "x" * 201, "phone": ""})
    assert response.status_code == 200
    assert b"at most 200 characters" in response.content
    assert User.objects.get(pk=customer.pk).company == ""


def test_profile_change_touches_only_the_signed_in_user(customer_client, customer, other_customer):
    customer_client.post(PROFILE, {"company": "Mine", "phone": "", "email": other_customer.email})
    other_customer.refresh_from_db()
    assert other_customer.company == ""
    customer.refresh_from_db()
    assert customer.email == "carla@customer.example"  # not a field of the form


def test_other_methods_are_refused(customer_client):
    assert customer_client.put(PROFILE).status_code == 405
    assert customer_client.delete(PROFILE).status_code == 405


def test_dashboard_needs_login(client):
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_dashboard_refuses_post(customer_client):
    assert customer_client.post(reverse("accounts:dashboard")).status_code == 405


def test_profile_post_without_csrf_token_is_refused(customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post(PROFILE, {"company": "X", "phone": ""}).status_code == 403


def test_a_company_with_invisible_formatting_characters_is_refused(customer_client, customer):
    response = customer_client.post(PROFILE, {"company": "North\u200bwind\u202e"})
    assert response.status_code == 200
    assert "U+200B" in response.context["form"].errors["company"][0]
    customer.refresh_from_db()
    assert "\u200b" not in customer.company
