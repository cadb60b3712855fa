from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.privacy import deletion


class Command(BaseCommand):
    help = (
        "After restoring a database backup: purge again every account named by a deletion record, "
        "from the database and from the deletion ledger file (PRIVACY_DELETION_LEDGER or --ledger). "
        "Run it before the restored site takes traffic. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--ledger", help="Path of the deletion ledger (JSON lines) to read as well.")

    def handle(self, *args, ledger: str | None, **options) -> None:
        path = ledger or settings.PRIVACY_DELETION_LEDGER
        entries = []
        if path:
            try:
                entries = deletion.read_ledger(path)
            except FileNotFoundError as exc:
                if ledger:  # named explicitly: its absence is an operator error
                    raise CommandError(f"ledger_missing: no deletion ledger at {path}.") from exc
            except ValueError as exc:
                raise CommandError(f"ledger_invalid: {exc}") from exc
        purged = deletion.reapply_deletions(ledger_entries=entries)
        self.stdout.write(
            f"Deletions re-applied: {purged} account(s) purged again ({len(entries)} ledger entries read)."
        )
