from django.conf import settings
from django.core.management.base import BaseCommand

from organizations import invitations


class Command(BaseCommand):
    help = (
        "Delete invitations withdrawn, replaced or expired more than "
        "ORGANIZATION_INVITATION_RETENTION_DAYS ago. Safe to run at any time."
    )

    def handle(self, *args, **options) -> None:
        deleted = invitations.purge_closed()
        days = settings.ORGANIZATION_INVITATION_RETENTION_DAYS
        self.stdout.write(f"Invitations: {deleted} withdrawn or expired over {days} days ago deleted.")
