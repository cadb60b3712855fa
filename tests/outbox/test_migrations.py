"""The outbox became an app of its own without touching a table."""

import io
from importlib import import_module

import pytest
from django.core.management import call_command

from outbox.models import OutboundEmail

MOVE = [
    ("outbox", "0001_initial"),
    ("accounts", "0005_receipt_in_outbox"),
    ("contact", "0003_email_in_outbox"),
    ("legal", "0004_email_in_outbox"),
    ("kalytera", "0003_outboundemail_to_outbox"),
]


@pytest.mark.parametrize(("app", "migration"), MOVE)
def test_moving_the_model_runs_no_sql(app, migration, db):
    out = io.StringIO()
    call_command("sqlmigrate", app, migration, stdout=out)
    statements = [line for line in out.getvalue().splitlines() if line.strip() and not line.startswith("--")]
    assert statements in ([], ["BEGIN;", "COMMIT;"])


def test_the_model_keeps_its_table():
    assert OutboundEmail._meta.db_table == "kalytera_outboundemail"


def test_tasks_queued_before_the_move_point_at_the_moved_functions(db):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.utils import timezone
    from django.utils.module_loading import import_string
    from django_tasks_db.models import DBTaskResult

    from accounts.privacy.exports import build_data_export
    from outbox.delivery import deliver_email

    move = import_module("outbox.migrations.0003_queued_tasks_follow_the_move")
    queued = {
        old: DBTaskResult.objects.create(
            task_path=old,
            args_kwargs={"args": [1], "kwargs": {}},
            backend_name="default",
            run_after=timezone.now(),
        )
        for old in move.MOVED_TASKS
    }
    finished = DBTaskResult.objects.create(
        task_path="kalytera.tasks.deliver_email",
        status="SUCCESSFUL",
        args_kwargs={"args": [2], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )

    move.rename_queued_tasks(MigrationLoader(connection).project_state().apps, None)

    for result in queued.values():
        result.refresh_from_db()
    moved = {import_string(result.task_path) for result in queued.values()}
    assert moved == {deliver_email, build_data_export}
    finished.refresh_from_db()
    assert finished.task_path == "kalytera.tasks.deliver_email"  # history stays as it was
