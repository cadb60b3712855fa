from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import security_events


class Command(BaseCommand):
    help = "Delete security timeline entries older than SECURITY_EVENT_RETENTION_DAYS. Idempotent."

    def handle(self, *args, **options) -> None:
        deleted = security_events.purge_expired()
        days = settings.SECURITY_EVENT_RETENTION_DAYS
        self.stdout.write(f"Security events: {deleted} older than {days} days deleted.")
