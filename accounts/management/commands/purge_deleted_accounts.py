from django.core.management.base import BaseCommand

from accounts.privacy import deletion


class Command(BaseCommand):
    help = (
        "Purge the accounts whose deletion grace period is over and remove delivered deletion "
        "receipts from the outbox. Idempotent; run it at least daily."
    )

    def handle(self, *args, **options) -> None:
        summary = deletion.purge_due()
        self.stdout.write(
            f"Accounts: {summary.purged} purged; {summary.receipts_removed} delivered receipt(s) removed."
        )
