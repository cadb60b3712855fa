import logging
import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

# Any constant works; it names "the scheduler" among PostgreSQL advisory locks.
SCHEDULER_LOCK_ID = 0x4B414C59


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of settings.PERIODIC_JOBS at their intervals. "
        "Run one scheduler per deployment; a second one waits as a standby."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args, once: bool, **options) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        self.lock_connection = None
        last_run: dict[str, float] = {}
        while self.running:
            if not once and not self._hold_lock():
                time.sleep(10)
                continue
            for command, interval in settings.PERIODIC_JOBS:
                now = time.monotonic()
                if once or now - last_run.get(command, float("-inf")) >= interval:
                    self._run(command)
                    last_run[command] = now
            if once:
                return
            close_old_connections()
            time.sleep(1)

    def _run(self, command: str) -> None:
        try:
            call_command(command, stdout=self.stdout, stderr=self.stderr)
        except Exception:
            # One failing job must not stop the others; it runs again at its next interval.
            logger.exception("Periodic job %s failed", command)

    def _hold_lock(self) -> bool:
        """Hold a PostgreSQL advisory lock on a connection of its own.

        Django's connection is recycled between iterations, which would drop a
        session-level lock; if this connection drops (database restart), the lock
        is taken again, or another scheduler takes over.
        """
        if connection.vendor != "postgresql":
            return True
        try:
            if self.lock_connection is not None:
                self.lock_connection.execute("SELECT 1")
                return True
            conn = connection.get_new_connection(connection.get_connection_params())
            conn.autocommit = True
            if conn.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULER_LOCK_ID]).fetchone()[0]:
                self.lock_connection = conn
                self.stdout.write("Scheduler lock acquired; running periodic jobs.")
                return True
            conn.close()
            self.stdout.write("Another scheduler is active; waiting as standby.")
        except Exception:
            logger.warning("Scheduler lock connection lost; retrying", exc_info=True)
            self.lock_connection = None
        return False

    def _stop(self, signum, frame) -> None:
        self.running = False
