from django.contrib.auth.management import create_permissions
from django.db import migrations

# The Licensing staff group looks after organizations in the admin: it sees them and can
# repair memberships (an organization whose owners all left), but never deletes one: an
# organization holds licenses that sites run on.
GRANTS = {
    "organization": ("view", "change"),
    "membership": ("view", "add", "change", "delete"),
}


def grant(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations ran; this migration needs them now.
    app_config = apps.get_app_config("organizations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Licensing")
    codenames = [f"{action}_{model}" for model, actions in GRANTS.items() for action in actions]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="organizations", codename__in=codenames)
    )


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Licensing").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="organizations"))


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_personal_organizations"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
