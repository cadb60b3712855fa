from django.core.management.base import BaseCommand

from community import notices


class Command(BaseCommand):
    help = (
        "Queue email to followers about posts published since their last notice (one message, "
        "or a digest, per person). Safe to run at any time, also by two schedulers at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="Follows per transaction.")

    def handle(self, *args, batch_size: int | None, **options) -> None:
        queued = notices.send_follow_notices(batch_size=batch_size)
        self.stdout.write(f"Community: {queued} notice(s) queued.")
