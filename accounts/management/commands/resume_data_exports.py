from django.core.management.base import BaseCommand

from accounts.privacy import exports


class Command(BaseCommand):
    help = (
        "Build again the data exports whose task was lost (still pending "
        f"{exports.STALLED_AFTER.total_seconds() / 60:.0f} minutes after the request). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        count = exports.resume_stalled_exports()
        self.stdout.write(f"Data exports: {count} stalled export(s) enqueued again.")
