"""Every existing account gets its personal organization, owned by the account.

Set-based SQL on PostgreSQL, so that it takes seconds on a platform with a million licenses
(other databases, such as the SQLite of development, make the rows in Python); safe to run
again (rows that exist already are left alone). New accounts get theirs at signup
(``organizations.services.personal_organization``).
"""

import uuid

from django.db import migrations

PERSONAL_NAME = "Personal licenses"  # organizations.services.PERSONAL_NAME when this was written

CREATE_ORGANIZATIONS = """
INSERT INTO organizations_organization (public_id, name, personal_for_id, created_at)
SELECT gen_random_uuid(), %s, u.id, u.date_joined
FROM accounts_user u
WHERE NOT EXISTS (SELECT 1 FROM organizations_organization o WHERE o.personal_for_id = u.id)
"""

CREATE_MEMBERSHIPS = """
INSERT INTO organizations_membership (organization_id, user_id, role, created_at)
SELECT o.id, o.personal_for_id, 'owner', o.created_at
FROM organizations_organization o
WHERE o.personal_for_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM organizations_membership m
    WHERE m.organization_id = o.id AND m.user_id = o.personal_for_id
)
"""


def create_personal_organizations(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_ORGANIZATIONS, [PERSONAL_NAME])
    else:
        User = apps.get_model("accounts", "User")
        Organization = apps.get_model("organizations", "Organization")
        missing = User.objects.filter(personal_organization__isnull=True).values_list("pk", "date_joined")
        Organization.objects.bulk_create(
            (
                Organization(public_id=uuid.uuid4(), name=PERSONAL_NAME, personal_for_id=pk, created_at=joined)
                for pk, joined in missing.iterator()
            ),
            batch_size=1000,
        )
    schema_editor.execute(CREATE_MEMBERSHIPS)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_personal_organizations, migrations.RunPython.noop, elidable=False),
    ]
