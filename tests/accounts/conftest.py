from importlib import import_module

import pytest
from django.urls import reverse

from tests import personas
from tests.accounts import privacy_seed

LOCAL_APPS = ("accounts", "licensing", "organizations", "contact", "legal", "advisories", "community")


def seed_every_app(user) -> None:
    """Give ``user`` data in every app that offers ``tests/<app>/privacy_seed.py``."""
    for app in LOCAL_APPS:
        try:
            module = import_module(f"tests.{app}.privacy_seed")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"tests.{app}", f"tests.{app}.privacy_seed"):
                raise
            continue
        module.seed(user)


@pytest.fixture
def person_with_data(customer):
    """The customer, with a complete profile and data in every section of every app."""
    customer.company = privacy_seed.COMPANY
    customer.phone = privacy_seed.PHONE
    customer.save(update_fields=["company", "phone"])
    seed_every_app(customer)
    return customer


@pytest.fixture
def reauthenticate():
    """Enter the password again, as allauth asks before sensitive actions."""

    def reauth(client) -> None:
        response = client.post(reverse("account_reauthenticate"), {"password": personas.PASSWORD})
        assert response.status_code == 302, response.content

    return reauth


@pytest.fixture
def sudo_client(customer_client, reauthenticate):
    """The customer, signed in and just reauthenticated."""
    reauthenticate(customer_client)
    return customer_client
