"""Empty pages say what to do next: where the first record comes from and a link to it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def text_of(client, name: str) -> str:
    return " ".join(client.get(reverse(name)).content.decode().split())


def test_an_empty_license_list_links_to_adding_a_key_and_to_a_trial(customer_client):
    page = text_of(customer_client, "licensing:list")
    empty = page.split("No licenses yet.")[1].split("</p>")[0]
    assert reverse("licensing:claim") in empty and reverse("licensing:trial") in empty


def test_an_empty_security_timeline_says_what_will_appear(customer_client):
    assert "Each sign-in and each change" in text_of(customer_client, "privacy:security_timeline")


def test_an_empty_policy_history_links_to_the_policies(customer_client):
    page = text_of(customer_client, "legal:history")
    empty = page.split("No acceptance is recorded for your account.")[1].split("</p>")[0]
    assert reverse("legal:index") in empty
