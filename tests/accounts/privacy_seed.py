"""Data for every section of the personal-data registry held by the accounts app.

Each app's ``tests/<app>/privacy_seed.py`` offers ``seed(user)``: together they give the
privacy tests a person with data in every app (the ``person_with_data`` fixture). Seeds
should use the person's address and the NAME, COMPANY and PHONE below wherever their
records hold such values, so that the purge test can look for them in every table.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts import security_events
from accounts.models import DataExport, DeletionRequest, SecurityEvent, User
from accounts.privacy import restriction
from outbox.services import queue_email
from tests import personas

NAME = "Carla Customer"
COMPANY = "Carla Cameras GmbH"
PHONE = "+493012345678"


def seed(user: User) -> None:
    EmailAddress.objects.create(user=user, email="carla.new@customer.example", verified=False, primary=False)
    UserSession.objects.create(
        user=user, ip="203.0.113.7", session_key="seeded-session", user_agent="Firefox/140.0"
    )
    personas.give_totp(user)
    security_events.record(user=user, kind=SecurityEvent.Kind.LOGIN)
    restriction.set_choices(user=user, restrict=False, object_to_optional_mail=True)
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    DataExport.objects.create(
        user=user,
        requested_at=yesterday,
        requested_on=yesterday.date(),
        status=DataExport.Status.READY,
        content="{}",
        expires_at=yesterday + timedelta(days=7),
    )
    DeletionRequest.objects.create(user=user, purge_after=now + timedelta(days=14))
    queue_email(to=[user.email], template="test_message", context={"name": "Carla"}, category="service")
    auditor = User.objects.create_user("auditor@kalytera.example", is_staff=True)
    LogEntry.objects.create(  # staff wrote about this person: the entry names them
        user=auditor,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=user.email,
        action_flag=CHANGE,
        change_message="Changed phone.",
    )
    LogEntry.objects.create(  # this person's own work, were they staff
        user=user,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=user.email,
        action_flag=CHANGE,
        change_message="Changed company.",
    )
