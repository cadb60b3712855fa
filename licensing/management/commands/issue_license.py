"""Issue a license from the shell: ``manage.py issue_license --owner a@b.example --plan pro-1y``.

Prints the key on standard output (and nothing else), so scripts can capture it. The owner,
if any, is told by email as when staff issue a license in the admin. Failures
exit non-zero with ``error CODE: message`` on standard error; codes are stable.
"""

from datetime import UTC, date, datetime, time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from licensing import services
from licensing.models import Plan
from licensing.services import Actor, LicensingError
from organizations.services import personal_organization


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError("error INVALID_EXPIRY: write the expiry date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Issue a license (to an account, or unassigned) and print its key."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--owner",
            help="Email of the account whose personal organization receives the license; omit: unassigned.",
        )
        parser.add_argument("--plan", required=True, help="Plan code, e.g. pro-1y.")
        parser.add_argument("--seats", type=int, help="Machines at once (default: the plan's).")
        parser.add_argument("--channels", type=int, help="Camera channels (default: the plan's).")
        parser.add_argument("--expires", type=_day, help="Expiry date YYYY-MM-DD (default: the plan's term).")

    def handle(self, *args, **options) -> None:
        plan = Plan.objects.select_related("product").filter(code=options["plan"]).first()
        if plan is None:
            raise CommandError(f"error PLAN_NOT_FOUND: no plan has the code {options['plan']!r}.")
        organization = None
        if options["owner"]:
            owner = User.objects.filter(email=options["owner"].strip().lower()).first()
            if owner is None:
                raise CommandError(f"error OWNER_NOT_FOUND: no account has the address {options['owner']!r}.")
            organization = personal_organization(user=owner)
        expires = options["expires"]
        try:
            issued = services.issue_license(
                plan=plan,
                organization=organization,
                actor=Actor.system(),
                max_machines=options["seats"],
                channels=options["channels"],
                expires_at=datetime.combine(expires, time(23, 59, 59), tzinfo=UTC) if expires else None,
                notify=True,
            )
        except LicensingError as exc:
            raise CommandError(f"error {exc.code}: {exc.message}") from exc
        self.stdout.write(issued.key)
