"""Caching of personal pages: never stored, by shared caches or by the browser."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("accounts:dashboard", {}),
        ("account_change_password", {}),
        ("privacy:center", {}),
        ("home", {}),
        ("legal:index", {}),
    ],
)
def test_every_page_for_a_signed_in_person_is_private_and_not_stored(customer_client, name, kwargs):
    response = customer_client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_a_sign_in_in_progress_is_not_stored(client, customer):
    client.post(reverse("account_request_login_code"), {"email": customer.email})
    response = client.get(reverse("account_confirm_login_code"))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_public_pages_for_anonymous_visitors_stay_cacheable(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not {"private", "no-store"} & directives(response)
