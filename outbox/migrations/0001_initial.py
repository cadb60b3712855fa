# The model moved here from the kalytera app; its table stays as it is.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("kalytera", "0002_cache_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboundEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("account", "Account and sign-in"),
                                    ("security", "Security notice"),
                                    ("service", "Service notice (required)"),
                                    ("support", "Support correspondence"),
                                    ("informational", "Informational (optional)"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("recipients", models.JSONField(help_text="List of addresses.")),
                        ("from_email", models.CharField(max_length=254)),
                        ("subject", models.CharField(max_length=255)),
                        ("body_text", models.TextField()),
                        ("body_html", models.TextField(blank=True)),
                        ("headers", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed (gave up)")],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.CharField(blank=True, max_length=255)),
                    ],
                    options={
                        "db_table": "kalytera_outboundemail",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status", "pending")),
                                fields=["next_attempt_at"],
                                name="outbound_email_due",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
