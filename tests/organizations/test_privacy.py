"""Memberships are personal data: on the data page, in the export, and erased by the purge."""

import pytest
from django.urls import reverse

from accounts.privacy import deletion
from kalytera import personal_data
from licensing import services
from licensing.services import integrators
from organizations.models import IntegratorGrant, Membership, Organization
from organizations.services import personal_organization
from tests.accounts.test_privacy_registry import _holds_personal_data, _is_covered
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def _section():
    return next(section for section in personal_data.sections() if section.key == "organizations")


def test_the_registry_check_fails_for_organizations_left_out():
    covered = personal_data.covered_models()
    for model in (Organization, Membership):
        assert _holds_personal_data(model)
        assert _is_covered(model, covered)
        assert not _is_covered(model, covered - {model})


def test_memberships_are_shown_and_exported_with_their_roles(members, company):
    viewer = members["viewer"]
    personal_organization(user=viewer)
    rows = _section().collect(viewer)
    assert [(row["organization"], row["role"], row["personal"]) for row in rows] == [
        ("Northwind Security", "viewer", False),
        ("Personal licenses", "owner", True),
    ]
    page = signed_in(viewer).get(reverse("privacy:your_data")).content.decode()
    assert "Northwind Security" in page


def test_the_purge_ends_memberships_and_frees_only_the_personal_licenses(members, company, plan):
    manager = members["manager"]
    own = services.issue_license(
        plan=plan, organization=personal_organization(user=manager), actor=services.Actor.system()
    )
    theirs = services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    deletion.purge_account(user=manager, requested_on=manager.date_joined.date(), send_receipt=False)
    assert not Membership.objects.filter(user_id=manager.pk).exists()
    own.license.refresh_from_db()
    theirs.license.refresh_from_db()
    assert own.license.organization is None  # the key holder can add it to another account, as before
    assert theirs.license.organization == company
    assert not Organization.objects.filter(personal_for_id=manager.pk).exists()
    assert company.memberships.filter(role="owner").exists()


def _grants_section():
    return next(section for section in personal_data.sections() if section.key == "integrator_grants")


def test_the_registry_check_fails_for_grants_left_out():
    covered = personal_data.covered_models()
    assert _holds_personal_data(IntegratorGrant) and _is_covered(IntegratorGrant, covered)
    assert not _is_covered(IntegratorGrant, covered - {IntegratorGrant})


def test_grants_are_shown_and_exported_to_who_made_and_who_accepted_them(
    customer, company, integrator, grant_to
):
    organization, people = integrator
    grant_to(organization, "manage")
    (made,) = _grants_section().collect(customer)
    assert (made["customer"], made["integrator"], made["created_by_you"], made["accepted_by_you"]) == (
        "Northwind Security",
        "Anchor Integrators",
        True,
        False,
    )
    (accepted,) = _grants_section().collect(people["owner"])
    assert (accepted["invited_address"], accepted["accepted_by_you"]) == (people["owner"].email, True)
    assert _grants_section().collect(people["viewer"]) == []
    page = signed_in(customer).get(reverse("privacy:your_data")).content.decode()
    assert "Integrator grants" in page and "Anchor Integrators" in page


def test_the_purge_forgets_the_person_and_withdraws_invitations_to_them(
    customer, company, integrator, grant_to
):
    organization, people = integrator
    grant = grant_to(organization, "manage")
    pending = integrators.invite_integrator(
        by=customer, customer=company, email=people["manager"].email, scope="view"
    )
    deletion.purge_account(
        user=people["owner"], requested_on=people["owner"].date_joined.date(), send_receipt=False
    )
    deletion.purge_account(
        user=people["manager"], requested_on=people["manager"].date_joined.date(), send_receipt=False
    )
    grant.refresh_from_db()
    assert (grant.accepted_by, grant.email, grant.revoked_at) == (None, "", None)  # still in force
    pending.grant.refresh_from_db()
    assert pending.grant.revoked_at is not None and pending.grant.email == ""
    assert integrators.open_invitation(pending.token) is None
