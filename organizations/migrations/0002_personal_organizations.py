"""Every existing account gets its personal organization, owned by the account.

Set-based SQL, so that it takes seconds on a platform with a million licenses; safe to
run again (rows that exist already are left alone). New accounts get theirs at signup
(``organizations.services.personal_organization``).
"""

from django.db import migrations

PERSONAL_NAME = "Personal licenses"  # organizations.services.PERSONAL_NAME when this was written

CREATE = """
INSERT INTO organizations_organization (public_id, name, personal_for_id, created_at)
SELECT gen_random_uuid(), %s, u.id, u.date_joined
FROM accounts_user u
WHERE NOT EXISTS (SELECT 1 FROM organizations_organization o WHERE o.personal_for_id = u.id);

INSERT INTO organizations_membership (organization_id, user_id, role, created_at)
SELECT o.id, o.personal_for_id, 'owner', o.created_at
FROM organizations_organization o
WHERE o.personal_for_id IS NOT NULL
ON CONFLICT (user_id, organization_id) DO NOTHING;
"""


def create_personal_organizations(apps, schema_editor) -> None:
    schema_editor.execute(CREATE.split(";")[0], [PERSONAL_NAME])
    schema_editor.execute(CREATE.split(";")[1])


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_personal_organizations, migrations.RunPython.noop, elidable=False),
    ]
