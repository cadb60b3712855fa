"""Several worker processes on one queue deliver every queued email, though killed midway."""

import os

import pytest

from bench import mail_workers
from tests.servers import database_url_for_servers

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_workers_killed_twice_deliver_every_email(settings):
    if not database_url_for_servers().startswith("postgres"):
        if os.environ.get("KALYTERA_REQUIRE_ALL") == "1":
            pytest.fail("This test needs PostgreSQL: set DATABASE_URL.")
        pytest.skip("needs PostgreSQL (row locks shared by worker processes)")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "kalytera.settings",
        "DATABASE_URL": database_url_for_servers(),
        "LOG_LEVEL": "WARNING",
    }
    outcome = mail_workers.run(emails=300, workers=3, kills=2, env=env, timeout=240)
    assert outcome.kills == 2
    assert outcome.sent == 300
    assert outcome.missing == 0
    assert outcome.distinct == 300
    # Only a message in flight at the moment of a SIGKILL (accepted by the mail server,
    # not yet recorded as sent) can be handed over again, with the same Message-ID.
    assert outcome.duplicates <= outcome.kills * 3
