from datetime import timedelta

from django.core.management.base import BaseCommand

from kalytera import mail

SENT_RETENTION = timedelta(days=7)


class Command(BaseCommand):
    help = (
        "Deliver queued emails that are due (retries included) and purge old sent ones. "
        "Safe to run at any time."
    )

    def handle(self, *args, **options) -> None:
        counts = mail.deliver_due()
        purged = mail.purge_sent(older_than=SENT_RETENTION)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Emails: {summary}; {purged} old record(s) purged.")
