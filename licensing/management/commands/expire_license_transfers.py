"""Mark transfer offers whose seven days ran out as expired (a periodic job; idempotent)."""

from django.core.management.base import BaseCommand

from licensing.services.transfers import expire_transfers


class Command(BaseCommand):
    help = "Mark license transfer offers that were not accepted within 7 days as expired."

    def handle(self, *args, **options) -> None:
        expired = expire_transfers()
        self.stdout.write(f"{expired} transfer offer(s) expired.")
