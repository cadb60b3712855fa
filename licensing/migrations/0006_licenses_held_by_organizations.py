"""Licenses are held by organizations: each person's licenses move to their personal organization.

The owner column is read once, to fill ``organization`` (one ``UPDATE ... FROM`` join, no
row-by-row Python), and then dropped. Past history entries by customers name the
organization they acted for: the personal organization of the person who acted.
Unassigned keys stay unassigned.
"""

import django.db.models.deletion
from django.db import migrations, models

# PostgreSQL joins (one pass over each table); other databases (SQLite in development) take
# the portable correlated form.
MOVE_LICENSES = {
    "postgresql": """
        UPDATE licensing_license l SET organization_id = o.id
        FROM organizations_organization o
        WHERE o.personal_for_id = l.owner_id AND l.owner_id IS NOT NULL
    """,
    "other": """
        UPDATE licensing_license SET organization_id = (
            SELECT o.id FROM organizations_organization o WHERE o.personal_for_id = licensing_license.owner_id
        )
        WHERE owner_id IS NOT NULL
    """,
}

NAME_EVENT_ORGANIZATIONS = {
    "postgresql": """
        UPDATE licensing_licenseevent e SET organization_id = o.id
        FROM organizations_organization o
        WHERE o.personal_for_id = e.actor_user_id AND e.actor = 'customer'
    """,
    "other": """
        UPDATE licensing_licenseevent SET organization_id = (
            SELECT o.id FROM organizations_organization o
            WHERE o.personal_for_id = licensing_licenseevent.actor_user_id
        )
        WHERE actor = 'customer' AND actor_user_id IS NOT NULL
    """,
}


def move_licenses(apps, schema_editor) -> None:
    dialect = "postgresql" if schema_editor.connection.vendor == "postgresql" else "other"
    schema_editor.execute(MOVE_LICENSES[dialect])
    schema_editor.execute(NAME_EVENT_ORGANIZATIONS[dialect])


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0005_lifecycle"),
        ("organizations", "0002_personal_organizations"),
    ]

    operations = [
        migrations.AddField(
            model_name="license",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="licenses",
                to="organizations.organization",
            ),
        ),
        migrations.AddField(
            model_name="licenseevent",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.organization",
            ),
        ),
        migrations.RunPython(move_licenses, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(model_name="license", name="license_one_trial_per_account"),
        migrations.RemoveField(model_name="license", name="owner"),
        migrations.AddIndex(
            model_name="license",
            index=models.Index(fields=["organization", "-created_at"], name="license_org_created_idx"),
        ),
        migrations.AddConstraint(
            model_name="license",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organization__isnull", False), ("trial_of__isnull", False)),
                fields=("organization", "trial_of"),
                name="license_one_trial_per_organization",
            ),
        ),
    ]
