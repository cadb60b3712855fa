from collections import Counter

import pytest

from advisories import services
from advisories.models import AdvisoryNotice
from outbox.models import OutboundEmail
from tests import personas
from tests.advisories.conftest import activate
from tests.concurrency import at_once

PEOPLE = 30
JOBS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_jobs_running_at_once_send_each_affected_person_exactly_one_notice(published, issue):
    for i in range(PEOPLE):
        _, key = issue(personas.make_customer(f"p{i}@customer.example"))
        activate(key, f"nvr-{i}", "6.2.1" if i % 3 else "6.2.0-hotfix1")
    _, unaffected = issue(personas.make_customer("current@customer.example"))
    activate(unaffected, "nvr-new", "6.3.0")
    revision = published()

    queued: list[int] = []
    errors = at_once(lambda _: queued.append(services.send_advisory_notices(batch_size=4)), JOBS)

    assert not errors
    assert sum(queued) == PEOPLE
    per_person = Counter(AdvisoryNotice.objects.filter(revision=revision).values_list("user_id", flat=True))
    assert len(per_person) == PEOPLE and set(per_person.values()) == {1}
    recipients = Counter(
        e.recipients[0] for e in OutboundEmail.objects.filter(category=OutboundEmail.Category.SERVICE)
    )
    assert len(recipients) == PEOPLE and set(recipients.values()) == {1}
    assert "current@customer.example" not in recipients
    revision.refresh_from_db()
    assert revision.notices_completed_at is not None
