from django.contrib.auth.management import create_permissions
from django.db import migrations

# What the Security staff group may do in the admin, and nothing else: draft, publish and
# import advisories, compose and send incident notices, and read the records of who was told.
# Published revisions and sent notices are read-only whatever the permission (advisories/admin.py).
GRANTS = {
    "advisory": ("view", "add", "change", "delete"),
    "advisoryrevision": ("view", "add", "change", "delete", "publish"),
    "advisorynotice": ("view",),
    "incidentnotice": ("view", "add", "change", "delete", "send"),
    "incidentdelivery": ("view",),
}


def grant(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations ran; this migration needs them now.
    app_config = apps.get_app_config("advisories")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Security")
    codenames = [f"{action}_{model}" for model, actions in GRANTS.items() for action in actions]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="advisories", codename__in=codenames))


def revoke(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name="Security").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("advisories", "0001_advisories_and_incident_notices"),
        ("accounts", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
