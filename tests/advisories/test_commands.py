import io

import pytest
from django.core.management import call_command

from advisories.models import IncidentNotice
from tests.advisories.conftest import activate


@pytest.mark.django_db
def test_the_periodic_job_queues_advisory_and_incident_emails_once(published, issue, customer, security_user):
    from advisories import incidents

    _, key = issue(customer)
    activate(key, "nvr", "6.2.1")
    published()
    incident = IncidentNotice.objects.create(
        title="T", what_happened="a", what_data="b", what_to_do="c", recipient_list=customer.email
    )
    incidents.send_incident(incident=incident, by=security_user)
    out = io.StringIO()
    call_command("process_security_notices", stdout=out)
    assert "1 advisory email(s), 1 incident email(s) queued" in out.getvalue()
    out = io.StringIO()
    call_command("process_security_notices", stdout=out)
    assert "0 advisory email(s), 0 incident email(s) queued" in out.getvalue()


def test_the_job_is_scheduled(settings):
    assert ("process_security_notices", 300) in settings.PERIODIC_JOBS
