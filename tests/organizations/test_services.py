"""Personal organizations, roles and leaving: the rules, and the pages that apply them."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import User
from licensing.models import License, LicenseEvent
from organizations import services
from organizations.access import RoleRequired
from organizations.models import Membership, Organization
from organizations.services import OrganizationError
from tests.accounts.test_signup import SIGNUP
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def _membership(user, organization) -> Membership:
    return Membership.objects.get(user=user, organization=organization)


def test_signup_gives_the_new_account_its_personal_organization(client):
    assert client.post(reverse("account_signup"), SIGNUP).status_code == 302
    user = User.objects.get()
    organization = Organization.objects.get(personal_for=user)
    assert list(organization.memberships.values_list("user", "role")) == [(user.pk, "owner")]


def test_the_personal_organization_is_made_once(customer):
    first = services.personal_organization(user=customer)
    assert services.personal_organization(user=customer) == first
    assert first.is_personal and first.as_place == "your account"


def test_the_database_holds_one_personal_organization_and_one_membership_per_person(customer, company):
    services.personal_organization(user=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="Second", personal_for=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(organization=company, user=customer, role="viewer")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(organization=company).update(role="admin")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_make_one_personal_organization(customer):
    racers = 6
    start = threading.Barrier(racers)

    def attempt(_) -> int:
        start.wait()
        try:
            return services.personal_organization(user=customer).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        assert len(set(pool.map(attempt, range(racers)))) == 1
    assert Membership.objects.filter(user=customer).count() == 1


def test_an_owner_changes_roles(members, company):
    viewer = _membership(members["viewer"], company)
    services.change_role(by=members["owner"], organization=company, membership_id=viewer.pk, role="manager")
    viewer.refresh_from_db()
    assert viewer.role == "manager"


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_only_owners_change_roles_or_remove_others(members, company, person):
    owner = _membership(members["owner"], company)
    with pytest.raises(RoleRequired):
        services.change_role(by=members[person], organization=company, membership_id=owner.pk, role="viewer")
    with pytest.raises(RoleRequired):
        services.remove_member(by=members[person], organization=company, membership_id=owner.pk)
    assert _membership(members["owner"], company).role == "owner"


def test_the_last_owner_cannot_step_down_or_leave_without_naming_another(members, company):
    owner = _membership(members["owner"], company)
    for change in (
        lambda: services.change_role(
            by=members["owner"], organization=company, membership_id=owner.pk, role="viewer"
        ),
        lambda: services.remove_member(by=members["owner"], organization=company, membership_id=owner.pk),
        lambda: services.remove_member(
            by=members["owner"], organization=company, membership_id=owner.pk, successor_id=owner.pk
        ),
    ):
        with pytest.raises(OrganizationError) as refused:
            change()
        assert refused.value.code == "LAST_OWNER"
    assert _membership(members["owner"], company).role == "owner"


def test_the_last_owner_leaves_by_naming_a_successor(members, company):
    owner = _membership(members["owner"], company)
    manager = _membership(members["manager"], company)
    services.remove_member(
        by=members["owner"], organization=company, membership_id=owner.pk, successor_id=manager.pk
    )
    assert not Membership.objects.filter(pk=owner.pk).exists()
    manager.refresh_from_db()
    assert manager.role == "owner"


def test_a_second_owner_steps_down_without_a_successor(members, company):
    manager = _membership(members["manager"], company)
    services.change_role(by=members["owner"], organization=company, membership_id=manager.pk, role="owner")
    owner = _membership(members["owner"], company)
    services.change_role(by=members["owner"], organization=company, membership_id=owner.pk, role="viewer")
    owner.refresh_from_db()
    assert owner.role == "viewer"


def test_a_member_from_another_organization_cannot_be_named(members, company, customer):
    personal = services.personal_organization(user=members["outsider"])
    stranger = _membership(members["outsider"], personal)
    owner = _membership(members["owner"], company)
    with pytest.raises(OrganizationError) as refused:
        services.remove_member(
            by=customer, organization=company, membership_id=owner.pk, successor_id=stranger.pk
        )
    assert refused.value.code == "NOT_A_MEMBER"


def test_removing_a_member_ends_their_access_at_once(members, company, company_license):
    license, _key, _activation = company_license
    manager = signed_in(members["manager"])
    page = reverse("licensing:detail", args=[license.public_id])
    assert manager.get(page).status_code == 200
    membership = _membership(members["manager"], company)
    url = reverse("organizations:remove", args=[company.public_id, membership.pk])
    assert signed_in(members["owner"]).post(url).status_code == 302
    assert manager.get(page).status_code == 404
    assert license.reference not in manager.get(reverse("licensing:list")).content.decode()


def test_a_viewer_leaves_from_the_organization_page(members, company):
    viewer = signed_in(members["viewer"])
    membership = _membership(members["viewer"], company)
    response = viewer.post(reverse("organizations:remove", args=[company.public_id, membership.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("organizations:list")
    assert viewer.get(reverse("organizations:detail", args=[company.public_id])).status_code == 404


def test_the_organization_page_refuses_the_last_owner_leaving_with_a_reason(members, company):
    owner = signed_in(members["owner"])
    membership = _membership(members["owner"], company)
    response = owner.post(
        reverse("organizations:remove", args=[company.public_id, membership.pk]), follow=True
    )
    assert "name another member who becomes owner first" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_organization_page_lists_members_with_roles_and_owner_controls(members, company):
    body = signed_in(members["owner"]).get(reverse("organizations:detail", args=[company.public_id])).content
    for role in ("manager", "viewer"):
        assert members[role].email.encode() in body
    assert b"Change role" in body
    viewer_page = signed_in(members["viewer"]).get(reverse("organizations:detail", args=[company.public_id]))
    assert b"Change role" not in viewer_page.content


def test_member_changes_are_post_only_and_need_a_sign_in(client, members, company):
    membership = _membership(members["viewer"], company)
    for name in ("organizations:remove", "organizations:change_role"):
        url = reverse(name, args=[company.public_id, membership.pk])
        assert signed_in(members["owner"]).get(url).status_code == 405
        assert client.post(url).status_code == 302  # to the sign-in page
    assert _membership(members["viewer"], company).role == "viewer"


def test_an_unknown_role_is_refused_with_a_message(members, company):
    membership = _membership(members["viewer"], company)
    url = reverse("organizations:change_role", args=[company.public_id, membership.pk])
    response = signed_in(members["owner"]).post(url, {"role": "admin"}, follow=True)
    assert "Choose a role" in response.content.decode()
    assert _membership(members["viewer"], company).role == "viewer"


def test_a_person_creates_an_organization_and_owns_it(customer_client, customer):
    response = customer_client.post(reverse("organizations:list"), {"name": "  Contoso CCTV  "})
    organization = Organization.objects.get(name="Contoso CCTV")
    assert response["Location"] == reverse("organizations:detail", args=[organization.public_id])
    assert _membership(customer, organization).role == "owner"
    assert customer_client.post(reverse("organizations:list"), {"name": "   "}).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_leaving_at_once_leave_one_owner(members, company):
    manager = _membership(members["manager"], company)
    services.change_role(by=members["owner"], organization=company, membership_id=manager.pk, role="owner")
    owners = [members["owner"], members["manager"]]
    start = threading.Barrier(len(owners))

    def leave(user) -> str:
        start.wait()
        try:
            services.remove_member(by=user, organization=company, membership_id=_membership(user, company).pk)
            return "left"
        except OrganizationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(owners)) as pool:
        assert sorted(pool.map(leave, owners)) == ["LAST_OWNER", "left"]
    assert company.memberships.filter(role="owner").count() == 1


def test_an_owner_dissolves_an_organization_without_licenses(members, company):
    url = reverse("organizations:dissolve", args=[company.public_id])
    assert signed_in(members["manager"]).post(url).status_code == 403
    assert signed_in(members["outsider"]).post(url).status_code == 404
    assert signed_in(members["owner"]).get(url).status_code == 405
    assert signed_in(members["owner"]).post(url).status_code == 302
    assert not Organization.objects.filter(pk=company.pk).exists()


def test_an_organization_with_licenses_or_a_personal_one_is_not_dissolved(members, company, company_license):
    response = signed_in(members["owner"]).post(
        reverse("organizations:dissolve", args=[company.public_id]), follow=True
    )
    assert "holds 1 license: move it to another organization first" in response.content.decode()
    assert company.memberships.count() == 3
    personal = services.personal_organization(user=members["owner"])
    with pytest.raises(OrganizationError) as refused:
        services.dissolve(by=members["owner"], organization=personal)
    assert refused.value.code == "PERSONAL_ORGANIZATION"


def test_an_organization_named_in_a_license_history_is_kept_empty(members, company, company_license):
    license, _key, _activation = company_license
    LicenseEvent.objects.create(license=license, kind="claimed", actor="customer", organization=company)
    License.objects.filter(pk=license.pk).update(organization=None)  # as if moved elsewhere since
    services.dissolve(by=members["owner"], organization=company)
    assert Organization.objects.filter(pk=company.pk).exists()
    assert not company.memberships.exists() and not company.invitations.exists()
