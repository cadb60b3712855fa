"""Licenses are held by organizations: each person's licenses move to their personal organization.

The owner column is read once, to fill ``organization`` (one ``UPDATE ... FROM`` join, no
row-by-row Python), and then dropped. Past history entries by customers name the
organization they acted for: the personal organization of the person who acted.
Unassigned keys stay unassigned.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVE_LICENSES = """
UPDATE licensing_license l SET organization_id = o.id
FROM organizations_organization o
WHERE o.personal_for_id = l.owner_id AND l.owner_id IS NOT NULL
"""

NAME_EVENT_ORGANIZATIONS = """
UPDATE licensing_licenseevent e SET organization_id = o.id
FROM organizations_organization o
WHERE o.personal_for_id = e.actor_user_id AND e.actor = 'customer'
"""


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
        migrations.RunSQL(MOVE_LICENSES, migrations.RunSQL.noop, elidable=False),
        migrations.RunSQL(NAME_EVENT_ORGANIZATIONS, migrations.RunSQL.noop, elidable=False),
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
