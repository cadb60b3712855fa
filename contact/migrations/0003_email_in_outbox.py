# The outbox became an app of its own; the column and its foreign key stay as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0002_support_permissions"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="threadentry",
                    name="email",
                    field=models.ForeignKey(
                        help_text="The queued email that carried a reply (removed from the outbox some days after sending).",
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="outbox.outboundemail",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
