from django.core.management.base import BaseCommand

from legal import services


class Command(BaseCommand):
    help = (
        "Mark scheduled policy versions whose date has come as published, and queue one "
        "email notice per person for each material change in effect. Safe to run at any time, "
        "also by two schedulers at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="Notices per transaction.")

    def handle(self, *args, batch_size: int | None, **options) -> None:
        published = services.mark_due_versions_published()
        queued = services.send_change_notices(batch_size=batch_size)
        self.stdout.write(f"Policies: {published} scheduled version(s) published; {queued} notice(s) queued.")
