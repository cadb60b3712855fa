from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Delete the records of finished background tasks (every queue) older than "
        "settings.TASK_RESULT_RETENTION_DAYS. Safe to run at any time."
    )

    def handle(self, *args, **options) -> None:
        # django-tasks-db's own pruning, with the retention and queues this platform uses.
        call_command(
            "prune_db_task_results",
            queue_name="*",
            min_age_days=settings.TASK_RESULT_RETENTION_DAYS,
            stdout=self.stdout,
            stderr=self.stderr,
        )
