"""Reminders about an organization's license go to its owners and managers, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing import services
from licensing.services.reminders import send_reminders

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
