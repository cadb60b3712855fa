"""Deleting the account of an organization's only owner: they name a successor, the purge hands over."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import DeletionRequest
from accounts.privacy import deletion
from organizations.models import Membership
from organizations.services import create_organization, needing_successor
from tests import personas

pytestmark = pytest.mark.django_db

URL = reverse("privacy:delete_account")


def purge(user) -> None:
    deletion.purge_account(user=user, requested_on=timezone.now().date(), send_receipt=False)


def role_of(user, organization) -> str:
    return Membership.objects.get(user=user, organization=organization).role


def test_the_page_asks_for_a_new_owner_of_each_organization_the_person_alone_owns(
    sudo_client,
    members,
    company,
):
    html = sudo_client.get(URL).content.decode()
    assert "You are the only owner of Northwind Security" in html
    assert "New owner of Northwind Security" in html
    assert "manager@northwind.example (manager)" in html and "viewer@northwind.example (viewer)" in html
    assert "longest-standing manager (else member) becomes owner" in html
    alone = create_organization(user=members["owner"], name="Solo Site")
    assert [organization for organization, _ in needing_successor(user=members["owner"])] == [company]
    assert "New owner of Solo Site" not in sudo_client.get(URL).content.decode()
    assert alone.memberships.count() == 1


def test_without_a_named_successor_nothing_is_scheduled(sudo_client, members, company):
    response = sudo_client.post(URL, {"confirm_email": members["owner"].email})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not DeletionRequest.objects.exists()
    viewer_of_other = personas.make_customer("elsewhere@other.example")
    other = create_organization(user=viewer_of_other, name="Other")
    stranger = Membership.objects.get(organization=other, user=viewer_of_other)
    field = f"successor_{company.pk}"
    response = sudo_client.post(URL, {"confirm_email": members["owner"].email, field: stranger.pk})
    assert response.status_code == 200 and not DeletionRequest.objects.exists()


def test_the_named_member_becomes_owner_at_the_purge(sudo_client, members, company):
    viewer = Membership.objects.get(user=members["viewer"], organization=company)
    response = sudo_client.post(
        URL, {"confirm_email": members["owner"].email, f"successor_{company.pk}": viewer.pk}
    )
    assert response.status_code == 302
    assert role_of(members["owner"], company) == "owner"  # until the purge
    purge(members["owner"])
    assert role_of(members["viewer"], company) == "owner"
    assert role_of(members["manager"], company) == "manager"


def test_if_the_named_member_left_the_longest_standing_manager_becomes_owner(members, company):
    owner, viewer = members["owner"], members["viewer"]
    named = Membership.objects.get(user=viewer, organization=company)
    deletion.request_deletion(user=owner, confirm_email=owner.email, successors={company.pk: named.pk})
    named.delete()
    newer_manager = personas.make_customer("newer@northwind.example")
    Membership.objects.create(organization=company, user=newer_manager, role="manager")
    purge(owner)
    assert role_of(members["manager"], company) == "owner"
    assert role_of(newer_manager, company) == "manager"


def test_without_managers_the_longest_standing_member_becomes_owner(members, company):
    owner = members["owner"]
    Membership.objects.filter(user=members["manager"], organization=company).delete()
    later = personas.make_customer("later@northwind.example")
    Membership.objects.create(organization=company, user=later, role="viewer")
    purge(owner)
    assert role_of(members["viewer"], company) == "owner"
    assert role_of(later, company) == "viewer"


def test_another_owner_keeps_the_organization_as_it_is(members, company):
    Membership.objects.filter(user=members["viewer"], organization=company).update(role="owner")
    assert needing_successor(user=members["owner"]) == []
    purge(members["owner"])
    assert role_of(members["manager"], company) == "manager"


def test_an_organization_left_with_no_member_keeps_its_licenses(customer, company, company_license):
    license, _key, _activation = company_license
    purge(customer)
    license.refresh_from_db()
    assert license.organization == company and not company.memberships.exists()
