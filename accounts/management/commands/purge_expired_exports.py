from django.core.management.base import BaseCommand

from accounts.privacy import exports


class Command(BaseCommand):
    help = "Delete the copies of personal data whose download period is over. Idempotent."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Data exports: {exports.purge_expired_exports()} expired copy(ies) deleted.")
