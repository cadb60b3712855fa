import pytest
from django.urls import reverse

from tests import personas


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
