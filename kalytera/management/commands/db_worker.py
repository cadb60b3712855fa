"""django-tasks-db's worker, kept running through a database outage.

The library's worker exits on the first error that reaches the database (a restart, a
fail-over), and a worker that is gone runs nothing until someone starts it again. This
command logs the error, waits (one second, doubling up to ``WORKER_RETRY_MAX_SECONDS``),
reconnects and starts the library's worker again. A task that was running when the
database went away stays marked as running; an email it was delivering is picked up by
the ``deliver_emails`` job.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger(__name__)


class Command(db_worker.Command):
    help = "Run a database background worker that waits out database outages (retry with backoff)."

    def handle(self, *args, **options) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            try:
                return super().handle(*args, **options)  # returns when stopped or done (--batch)
            except DatabaseError as exc:
                # A worker that ran well for longer than the longest wait starts its backoff afresh.
                ran_well = time.monotonic() - started > settings.WORKER_RETRY_MAX_SECONDS
                failures = 1 if ran_well else failures + 1
                delay = min(2 ** (failures - 1), settings.WORKER_RETRY_MAX_SECONDS)
                logger.warning("Database unavailable (%s); the worker starts again in %s s", exc, delay)
                connections.close_all()
                time.sleep(delay)
