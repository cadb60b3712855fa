"""The three policies (their URLs are fixed) and the Legal group's permissions.

Publishing has its own permission, so a group could be allowed to draft but not to
publish. Support and Licensing get nothing here: they cannot see or edit policies.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

POLICIES = [
    # slug, name, requires acceptance, order
    ("terms", "Terms of Service", True, 1),
    ("privacy", "Privacy Policy", False, 2),
    ("vulnerability-disclosure", "Vulnerability Disclosure Policy", False, 3),
]

LEGAL_GROUP_PERMISSIONS = [
    "view_policy",
    "view_policyversion",
    "add_policyversion",
    "change_policyversion",
    "delete_policyversion",
    "publish_policyversion",
    "view_acceptance",
    "view_changenotice",
]


def create_policies(apps, schema_editor) -> None:
    Policy = apps.get_model("legal", "Policy")
    for slug, name, requires_acceptance, order in POLICIES:
        Policy.objects.get_or_create(
            slug=slug, defaults={"name": name, "requires_acceptance": requires_acceptance, "order": order}
        )


def grant_legal_group(apps, schema_editor=None) -> None:
    # Permissions are normally created after all migrations ran; this one needs them now.
    app_config = apps.get_app_config("legal")
    if not getattr(app_config, "models_module", None):  # a migration state app config has none
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Legal")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="legal", codename__in=LEGAL_GROUP_PERMISSIONS)
    )


def revoke_legal_group(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Legal"):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="legal"))


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0001_initial"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_policies, migrations.RunPython.noop),
        migrations.RunPython(grant_legal_group, revoke_legal_group),
    ]
