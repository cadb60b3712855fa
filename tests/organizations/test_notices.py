"""Reminders about an organization's license go to its owners and managers, and to those of
integrators whose grant covers it and asks for them: each person once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing import services
from licensing.services import integrators
from licensing.services.reminders import send_reminders
from organizations.access import notified_by_license, notified_members
from organizations.models import Membership
from organizations.services import create_organization

pytestmark = pytest.mark.django_db


def test_owners_and_managers_are_reminded_and_viewers_are_not(members, company_license, deliver_outbox):
    license, _key, _activation = company_license
    license.expires_at = timezone.now() + timedelta(days=20)
    license.save(update_fields=["expires_at"])
    assert send_reminders() == 1
    assert send_reminders() == 0  # still once per license and due date
    recipients = sorted(address for message in deliver_outbox() for address in message.to)
    assert recipients == sorted([members["owner"].email, members["manager"].email])


def test_a_suspension_notice_goes_to_owners_and_managers(members, company_license, deliver_outbox):
    license, _key, _activation = company_license
    services.change_status_with_notice(
        license=license, change="suspend", actor=services.Actor.system(), reason="Unpaid invoice."
    )
    recipients = sorted(address for message in deliver_outbox() for address in message.to)
    assert recipients == sorted([members["owner"].email, members["manager"].email])


def _expiring(license) -> None:
    license.expires_at = timezone.now() + timedelta(days=20)
    license.save(update_fields=["expires_at"])


def test_integrators_who_opted_in_are_reminded_once_each(
    members, company, company_license, integrator, grant_to, deliver_outbox
):
    license, _key, _activation = company_license
    organization, people = integrator
    grant_to(organization, "view", send_reminders=True)
    Membership.objects.create(organization=company, user=people["owner"], role="manager")  # in both
    deliver_outbox().clear()  # the invitation
    _expiring(license)
    assert send_reminders() == 1
    assert send_reminders() == 0  # still once per license and due date
    recipients = sorted(address for message in deliver_outbox() for address in message.to)
    expected = [members["owner"], members["manager"], people["owner"], people["manager"]]
    assert recipients == sorted(person.email for person in expected)


def test_integrators_who_did_not_opt_in_or_do_not_cover_the_license_are_not_told(
    members, customer, company, company_license, issue, integrator, grant_to
):
    license, _key, _activation = company_license
    organization, people = integrator
    other_integrator = create_organization(user=people["manager"], name="Second Integrator")
    elsewhere, _other_key = issue(company)
    grant_to(organization, "manage")  # reminders not ticked
    grant_to(other_integrator, "view", licenses=[elsewhere], send_reminders=True)
    told = {person.email for person in notified_members(license)}
    assert told == {members["owner"].email, members["manager"].email}
    assert people["manager"].email in {person.email for person in notified_members(elsewhere)}


def test_a_revoked_grant_stops_the_reminders(customer, company, company_license, integrator, grant_to):
    license, _key, _activation = company_license
    organization, people = integrator
    grant = grant_to(organization, "view", send_reminders=True)
    assert people["owner"] in notified_members(license)
    integrators.revoke_grant(by=customer, customer=company, grant_id=grant.public_id)
    assert people["owner"] not in notified_members(license)


def test_a_suspension_notice_reaches_an_opted_in_integrator(
    members, company_license, integrator, grant_to, deliver_outbox
):
    license, _key, _activation = company_license
    organization, people = integrator
    grant_to(organization, "manage", send_reminders=True)
    deliver_outbox().clear()  # the invitation
    services.change_status_with_notice(
        license=license, change="suspend", actor=services.Actor.system(), reason="Unpaid invoice."
    )
    recipients = {address for message in deliver_outbox() for address in message.to}
    assert {people["owner"].email, people["manager"].email} <= recipients
    assert people["viewer"].email not in recipients


def test_the_bulk_form_agrees_with_the_single_one(
    members, company, company_license, issue, integrator, grant_to
):
    license, _key, _activation = company_license
    elsewhere, _other_key = issue(company)
    organization, people = integrator
    second = create_organization(user=people["manager"], name="Second Integrator")
    grant_to(organization, "view", send_reminders=True)
    grant_to(second, "view", licenses=[elsewhere], send_reminders=True)
    bulk = notified_by_license([license, elsewhere])
    assert bulk == {license.pk: notified_members(license), elsewhere.pk: notified_members(elsewhere)}
    assert people["manager"] in bulk[license.pk] and bulk[elsewhere.pk].count(people["manager"]) == 1
