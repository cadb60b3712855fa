from io import StringIO

import pytest
from django.core.management import call_command

from contact.models import Inquiry, ThreadEntry
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_demo_inquiries_cover_every_state_and_seeding_twice_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert set(Inquiry.objects.values_list("status", flat=True)) == set(Inquiry.Status.values)
    assert Inquiry.objects.count() == 6
    assert set(ThreadEntry.objects.values_list("kind", flat=True)) == {"note", "reply"}
    assert Inquiry.objects.filter(user__isnull=False, topic="licensing").exists()
    assert not OutboundEmail.objects.filter(recipients__icontains="demo-sender").exists()
