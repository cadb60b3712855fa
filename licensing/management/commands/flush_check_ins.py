"""Write the check-ins counted in the cache to the daily statistics (a periodic job; safe to repeat)."""

from django.core.management.base import BaseCommand

from licensing.usage import flush_check_ins


class Command(BaseCommand):
    help = "Add the check-ins gathered in the cache to the daily check-in counts."

    def handle(self, *args, **options) -> None:
        written = flush_check_ins()
        self.stdout.write(f"{written} check-in(s) written to the daily counts.")
