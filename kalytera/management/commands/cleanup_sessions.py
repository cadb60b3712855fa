from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = "Delete expired sessions and the session list entries (IP, browser) that belonged to them."

    def handle(self, *args, **options) -> None:
        expired = Session.objects.filter(expire_date__lte=timezone.now()).count()
        call_command("clearsessions")
        live_keys = Session.objects.values("session_key")
        orphaned, _ = UserSession.objects.exclude(session_key__in=live_keys).delete()
        self.stdout.write(f"Sessions: {expired} expired removed, {orphaned} session list entries removed.")
