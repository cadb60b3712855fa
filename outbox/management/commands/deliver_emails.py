from datetime import timedelta

from django.core.management.base import BaseCommand

from outbox import delivery, services

SENT_RETENTION = timedelta(days=7)


class Command(BaseCommand):
    help = (
        "Deliver queued emails that are due (retries included) and purge old sent ones. "
        "Safe to run at any time."
    )

    def handle(self, *args, **options) -> None:
        counts = delivery.deliver_due()
        purged = services.purge_sent(older_than=SENT_RETENTION)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Emails: {summary}; {purged} old record(s) purged.")
