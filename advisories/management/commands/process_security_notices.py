from django.core.management.base import BaseCommand

from advisories import incidents, services


class Command(BaseCommand):
    help = (
        "Queue the emails of published security advisories (to the people responsible for affected "
        "machines) and of sent incident notices, in batches, each person once; forget incident "
        "recipients after the retention period. Safe to run at any time, also by two schedulers at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="Emails per transaction.")

    def handle(self, *args, batch_size: int | None, **options) -> None:
        advisories = services.send_advisory_notices(batch_size=batch_size)
        incident_emails = incidents.deliver_incident_notices(batch_size=batch_size)
        purged = incidents.purge_expired_deliveries()
        self.stdout.write(
            f"Security notices: {advisories} advisory email(s), {incident_emails} incident email(s) queued; "
            f"{purged} old incident recipient record(s) removed."
        )
