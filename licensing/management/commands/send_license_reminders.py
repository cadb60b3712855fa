"""Queue the expiry reminders that are due (a periodic job; idempotent)."""

from django.core.management.base import BaseCommand

from licensing.services.reminders import send_expiry_reminders


class Command(BaseCommand):
    help = "Email the owners of subscriptions that expire soon or have entered their grace period."

    def handle(self, *args, **options) -> None:
        sent = send_expiry_reminders()
        self.stdout.write(f"{sent} expiry reminder(s) queued.")
