"""The worker, the scheduler and the periodic jobs (idempotent management commands)."""

import io
from datetime import timedelta
from uuid import UUID

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from kalytera.management.commands.scheduler import Command as Scheduler
from outbox import services
from outbox.models import OutboundEmail
from tests import personas

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_cleanup_sessions_removes_expired_sessions_and_their_list_entries(customer):
    live, stale = Client(), Client()
    for client in (live, stale):
        client.post(reverse("account_login"), {"login": customer.email, "password": personas.PASSWORD})
    stale_key = stale.session.session_key
    Session.objects.filter(session_key=stale_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert "1 expired removed, 1 session list entries removed" in run("cleanup_sessions")
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert live.get(reverse("accounts:dashboard")).status_code == 200
    # Idempotent: nothing left to do.
    assert "0 expired removed, 0 session list entries removed" in run("cleanup_sessions")


def test_scheduler_once_runs_every_periodic_job():
    output = run("scheduler", "--once")
    assert "Emails: nothing due" in output
    assert "Sessions: 0 expired removed" in output


def test_a_failing_job_does_not_stop_the_others(settings, caplog):
    settings.PERIODIC_JOBS = [("no_such_command", 60), ("cleanup_sessions", 60)]
    output = run("scheduler", "--once")
    assert "Sessions:" in output
    assert "Periodic job no_such_command failed" in caplog.text


@pytest.mark.postgres
def test_only_one_scheduler_holds_the_lock():
    first, second = Scheduler(stdout=io.StringIO()), Scheduler(stdout=io.StringIO())
    first.lock_connection = second.lock_connection = None
    try:
        assert first._hold_lock()
        assert not second._hold_lock()
        assert "standby" in second.stdout.getvalue()
    finally:
        first.lock_connection.close()
    assert second._hold_lock()  # the standby takes over once the first one is gone
    second.lock_connection.close()


def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = run("seed_demo")
    second = run("seed_demo")
    assert "Customer login: customer@kalytera.example / kalytera-demo-password" in first
    assert "Staff login:    staff@kalytera.example" in second
    assert User.objects.filter(email="customer@kalytera.example").count() == 1
    staff = User.objects.get(email="staff@kalytera.example")
    assert staff.is_staff and staff.is_superuser


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_queued_email_from_the_database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    email = services.queue_email(
        to=["carla@customer.example"],
        template="test_message",
        context={"name": "Carla"},
        category=OutboundEmail.Category.ACCOUNT,
    )
    assert mail.outbox == []  # queued, not sent inside the caller
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [["carla@customer.example"]]


def test_finished_task_records_are_pruned_daily_after_the_retention(settings):
    from django_tasks_db.models import DBTaskResult

    from outbox.delivery import deliver_email

    assert ("prune_task_results", 86400) in settings.PERIODIC_JOBS
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.TASK_RESULT_RETENTION_DAYS = 14
    old, recent, waiting = (deliver_email.enqueue(n).id for n in (1, 2, 3))
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old).update(status="SUCCESSFUL", finished_at=now - timedelta(days=15))
    DBTaskResult.objects.filter(pk=recent).update(status="SUCCESSFUL", finished_at=now - timedelta(days=13))
    run("prune_task_results")
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {UUID(recent), UUID(waiting)}
