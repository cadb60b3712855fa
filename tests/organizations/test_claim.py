"""Claiming a key asks which organization receives it, among those where the person may add keys."""

import pytest
from django.urls import reverse

from licensing import services
from organizations.access import RoleRequired
from organizations.services import personal_organization
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_one_organization_is_not_asked_about(customer_client, plan):
    issued = services.issue_license(plan=plan, organization=None, actor=services.Actor.system())
    page = customer_client.get(reverse("licensing:claim")).content.decode()
    assert 'type="hidden" name="organization"' in page
    assert customer_client.post(reverse("licensing:claim"), {"key": issued.key}).status_code == 302
    issued.license.refresh_from_db()
    assert issued.license.organization.is_personal


def test_a_manager_chooses_the_company_and_the_history_names_it(members, company, plan):
    manager = members["manager"]
    client = signed_in(manager)
    page = client.get(reverse("licensing:claim")).content.decode()
    assert "Northwind Security" in page and "Personal licenses" in page
    issued = services.issue_license(plan=plan, organization=None, actor=services.Actor.system())
    response = client.post(reverse("licensing:claim"), {"key": issued.key, "organization": company.pk})
    assert response.status_code == 302
    issued.license.refresh_from_db()
    assert issued.license.organization == company
    event = issued.license.events.get(kind="claimed")
    assert (event.actor_user, event.organization) == (manager, company)


def test_a_viewer_cannot_add_keys_to_the_company(members, company, plan):
    viewer = members["viewer"]
    client = signed_in(viewer)
    assert "Northwind Security" not in client.get(reverse("licensing:claim")).content.decode()
    issued = services.issue_license(plan=plan, organization=None, actor=services.Actor.system())
    response = client.post(reverse("licensing:claim"), {"key": issued.key, "organization": company.pk})
    assert response.status_code == 200  # the form, with the choice refused
    issued.license.refresh_from_db()
    assert issued.license.organization is None


def test_the_service_refuses_a_viewer_whatever_the_form_offers(members, company, plan):
    issued = services.issue_license(plan=plan, organization=None, actor=services.Actor.system())
    with pytest.raises(RoleRequired):
        services.claim_license(user=members["viewer"], key=issued.key, organization=company)


def test_a_key_already_in_the_company_is_reported_as_such(members, company, plan):
    issued = services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    with pytest.raises(services.LicensingError) as refused:
        services.claim_license(user=members["manager"], key=issued.key, organization=company)
    assert refused.value.code == "ALREADY_CLAIMED"
    with pytest.raises(services.LicensingError) as taken:
        services.claim_license(user=members["outsider"], key=issued.key)
    assert taken.value.code == "LICENSE_TAKEN"
    assert personal_organization(user=members["outsider"]).licenses.count() == 0


def test_a_key_in_another_of_the_persons_organizations_is_named(members, company, plan):
    issued = services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    with pytest.raises(services.LicensingError) as refused:
        services.claim_license(user=members["manager"], key=issued.key)  # into their own account
    assert (refused.value.code, refused.value.message) == (
        "ALREADY_CLAIMED",
        "This license is already in Northwind Security.",
    )
