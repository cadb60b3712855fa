from getpass import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create a staff member in one staff group. They must set up two-factor authentication at first login."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--group",
            choices=services.STAFF_GROUPS,
            help="Staff group with the permissions this person needs.",
        )
        parser.add_argument("--superuser", action="store_true", help="Full access (use sparingly).")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(
        self, *args, email: str, group: str | None, superuser: bool, password_stdin: bool, **options
    ) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"INVALID_EMAIL: {email!r} is not a valid email address.") from None
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"USER_EXISTS: an account for {email} exists already.")
        if not group and not superuser:
            raise CommandError("NO_ROLE: give --group (Support, Licensing or Legal) or --superuser.")
        password = self._read_password(password_stdin)
        user = services.create_staff_user(email=email, password=password, group=group)
        if superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        role = "superuser" if superuser else f"group {group}"
        self.stdout.write(self.style.SUCCESS(f"Created staff user {user.email} ({role})."))

    def _read_password(self, from_stdin: bool) -> str:
        import sys

        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass("Password: ")
            if password != getpass("Password (again): "):
                raise CommandError("PASSWORD_MISMATCH: the passwords differ.")
        if len(password) < 10:
            raise CommandError("PASSWORD_TOO_SHORT: use at least 10 characters.")
        return password
