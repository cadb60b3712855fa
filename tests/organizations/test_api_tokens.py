"""Owners make and revoke Organization API tokens on the organization page."""

import pytest
from django.urls import reverse

from organizations import api_tokens
from organizations.models import ApiToken
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def create_url(company) -> str:
    return reverse("organizations:create_token", args=[company.public_id])


def test_an_owner_makes_a_token_shown_once_and_stored_hashed(members, company):
    response = signed_in(members["owner"]).post(create_url(company), {"name": "NOC monitoring"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    html = response.content.decode()
    start = html.index('id="api-token">') + len('id="api-token">')
    secret = html[start : html.index("<", start)]
    assert secret.startswith("kal_org_") and len(secret) == 51
    assert token.token_digest == api_tokens.digest(secret) and secret not in str(
        list(ApiToken.objects.values())
    )
    assert (token.name, token.created_by, token.prefix) == ("NOC monitoring", members["owner"], secret[:14])
    page = signed_in(members["owner"]).get(reverse("organizations:detail", args=[company.public_id]))
    assert secret not in page.content.decode() and f"{token.prefix}…" in page.content.decode()


def test_only_owners_make_and_revoke_tokens(members, company):
    token = api_tokens.create(by=members["owner"], organization=company, name="NOC").token
    revoke = reverse("organizations:revoke_token", args=[company.public_id, token.pk])
    for role, status in (("manager", 403), ("viewer", 403), ("outsider", 404)):
        assert signed_in(members[role]).post(create_url(company), {"name": "x"}).status_code == status
        assert signed_in(members[role]).post(revoke).status_code == status
    assert signed_in(members["owner"]).get(revoke).status_code == 405
    assert (
        "NOC"
        not in signed_in(members["manager"])
        .get(reverse("organizations:detail", args=[company.public_id]))
        .content.decode()
        .split("<main")[1]
    )
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_an_empty_name_is_refused(members, company):
    assert signed_in(members["owner"]).post(create_url(company), {"name": "  "}).status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_takes_effect_once(members, company):
    created = api_tokens.create(by=members["owner"], organization=company, name="NOC")
    revoke = reverse("organizations:revoke_token", args=[company.public_id, created.token.pk])
    response = signed_in(members["owner"]).post(revoke, follow=True)
    assert "The token NOC is revoked" in response.content.decode()
    assert api_tokens.authenticate(created.secret) is None
    again = signed_in(members["owner"]).post(revoke, follow=True)
    assert "already revoked" in again.content.decode()
