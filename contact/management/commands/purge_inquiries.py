from django.conf import settings
from django.core.management.base import BaseCommand

from contact import services


class Command(BaseCommand):
    help = (
        "Delete closed inquiries after CONTACT_RETENTION_CLOSED_DAYS and spam after "
        "CONTACT_RETENTION_SPAM_DAYS, counted from closing. Safe to run at any time."
    )

    def handle(self, *args, **options) -> None:
        counts = services.purge_expired()
        self.stdout.write(
            f"Inquiries: {counts['closed']} closed (over {settings.CONTACT_RETENTION_CLOSED_DAYS} days) "
            f"and {counts['spam']} spam (over {settings.CONTACT_RETENTION_SPAM_DAYS} days) deleted."
        )
