from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from legal import services
from legal.models import ChangeNotice
from outbox.models import OutboundEmail
from tests import personas
from tests.concurrency import at_once
from tests.legal.versions import release

PEOPLE = 40
JOBS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_jobs_running_at_once_send_each_person_exactly_one_notice(privacy):
    release(privacy, number=1, effective_at=timezone.now() - timedelta(days=30))
    version = release(privacy, number=2, effective_at=timezone.now() - timedelta(minutes=1))
    for i in range(PEOPLE):
        personas.make_customer(f"p{i}@customer.example")
    get_user_model().objects.update(date_joined=timezone.now() - timedelta(days=365))

    queued: list[int] = []
    errors = at_once(lambda _: queued.append(services.send_change_notices(batch_size=3)), JOBS)

    assert not errors
    assert sum(queued) == PEOPLE
    per_person = Counter(ChangeNotice.objects.filter(version=version).values_list("user_id", flat=True))
    assert len(per_person) == PEOPLE and set(per_person.values()) == {1}
    recipients = Counter(
        e.recipients[0] for e in OutboundEmail.objects.filter(category=OutboundEmail.Category.SERVICE)
    )
    assert len(recipients) == PEOPLE and set(recipients.values()) == {1}


@pytest.mark.django_db
def test_the_database_refuses_a_second_notice_for_the_same_change(privacy, customer):
    release(privacy, number=1, effective_at=timezone.now() - timedelta(days=30))
    version = release(privacy, number=2, effective_at=timezone.now() - timedelta(minutes=1))
    ChangeNotice.objects.create(user=customer, version=version, email_address=customer.email)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeNotice.objects.create(user=customer, version=version, email_address=customer.email)
