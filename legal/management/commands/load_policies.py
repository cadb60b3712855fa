from django.core.management.base import BaseCommand, CommandError

from legal import loader


class Command(BaseCommand):
    help = (
        "Load the policy texts shipped in legal/content/ into the database. "
        "Idempotent: versions already loaded are left as they are."
    )

    def handle(self, *args, **options) -> None:
        try:
            lines = loader.load()
        except loader.ContentError as error:
            raise CommandError(f"{error} [{error.code}]") from error
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Policies are loaded."))
