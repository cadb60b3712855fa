"""The rows the data migrations write (staff groups, their permissions, the three policies).

A transactional test ends with a flush that empties every table; Django brings the
permissions back, but not what our data migrations wrote. ``restore()`` runs those
migrations' functions again, against the migrated models as the migrations see them.
"""

import functools
from importlib import import_module

DATA_MIGRATIONS = [
    ("accounts.migrations.0002_staff_groups", "create_groups"),
    ("accounts.migrations.0004_support_sees_deletions", "grant"),
    ("community.migrations.0001_community", "grant"),
    ("contact.migrations.0002_support_permissions", "grant"),
    ("legal.migrations.0002_policies_and_legal_group", "create_policies"),
    ("legal.migrations.0002_policies_and_legal_group", "grant_legal_group"),
    ("licensing.migrations.0002_licensing_group_permissions", "grant"),
    ("licensing.migrations.0007_transfers", "grant"),
    ("licensing.migrations.0008_release_notes_and_artifacts", "grant"),
    ("organizations.migrations.0003_licensing_group_permissions", "grant"),
    ("advisories.migrations.0002_security_group", "grant"),
]


@functools.cache
def _migrated_apps():
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).project_state().apps


def restore() -> None:
    apps = _migrated_apps()
    for module, function in DATA_MIGRATIONS:
        getattr(import_module(module), function)(apps, None)
