from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app may offer demo content in ``<app>/demo.py`` as ``seed(stdout) -> list[str]``;
# the returned lines (logins, keys) are printed at the end.
DEMO_APPS = ("accounts", "licensing", "legal", "contact", "advisories", "community")


class Command(BaseCommand):
    help = "Create demo content (idempotent): a demo customer, a demo staff member and the data of each app."

    def handle(self, *args, **options) -> None:
        lines: list[str] = []
        for app in DEMO_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                lines += module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
        for line in lines:
            self.stdout.write(f"  {line}")
