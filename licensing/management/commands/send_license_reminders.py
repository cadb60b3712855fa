"""Queue the expiry reminders that are due (a periodic job; idempotent)."""

from django.core.management.base import BaseCommand

from licensing.services.reminders import send_reminders


class Command(BaseCommand):
    help = "Email the owners of licenses whose expiry, grace period or upgrade plan ends soon."

    def handle(self, *args, **options) -> None:
        sent = send_reminders()
        self.stdout.write(f"{sent} reminder(s) queued.")
