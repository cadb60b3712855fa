"""The outbox became an app of its own without touching a table."""

import io

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
