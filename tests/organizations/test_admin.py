"""Licensing staff look after organizations in the admin; nobody deletes one there."""

import pytest
from django.urls import reverse

from organizations import api_tokens, invitations
from tests import personas

pytestmark = pytest.mark.django_db


def test_licensing_staff_see_an_organization_with_its_members(
    staff_client_for, licensing_user, members, company
):
    client = staff_client_for(licensing_user)
    page = client.get(reverse("admin:organizations_organization_change", args=[company.pk]))
    assert page.status_code == 200
    assert members["viewer"].email in page.content.decode()
    found = client.get(
        reverse("admin:organizations_organization_changelist"), {"q": members["manager"].email}
    )
    assert "Northwind Security" in found.content.decode()
    assert (
        client.get(reverse("admin:organizations_organization_delete", args=[company.pk])).status_code == 403
    )


def test_support_staff_do_not_open_organizations(staff_client_for, support_user, company):
    client = staff_client_for(support_user)
    assert client.get(reverse("admin:organizations_organization_changelist")).status_code == 403
    assert personas.in_group(support_user, "Support")


def test_licensing_staff_see_invitations_and_tokens_read_only(
    staff_client_for, licensing_user, members, company
):
    invitations.invite(
        by=members["owner"], organization=company, email="new@northwind.example", role="viewer"
    )
    created = api_tokens.create(by=members["owner"], organization=company, name="NOC monitoring")
    client = staff_client_for(licensing_user)
    page = client.get(reverse("admin:organizations_organization_change", args=[company.pk])).content.decode()
    assert "new@northwind.example" in page and "NOC monitoring" in page and created.token.prefix in page
    assert created.secret not in page
    assert 'name="invitations-0-email"' not in page  # shown, not editable


def test_licensing_staff_see_the_integrators_of_an_organization_read_only(
    staff_client_for, licensing_user, company, integrator, grant_to
):
    grant_to(integrator[0], "manage")
    page = staff_client_for(licensing_user).get(
        reverse("admin:organizations_organization_change", args=[company.pk])
    )
    body = page.content.decode()
    assert "Integrator grant" in body and "Anchor Integrators" in body
    assert 'name="grants_given-0-scope"' not in body  # read only
