# OutboundEmail moved to the outbox app, which keeps the table (outbox/migrations/0001).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("kalytera", "0002_cache_table"),
        ("accounts", "0005_receipt_in_outbox"),
        ("contact", "0003_email_in_outbox"),
        ("legal", "0004_email_in_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboundEmail")],
            database_operations=[],
        ),
    ]
