from django.contrib.auth.management import create_permissions
from django.db import migrations

# What the Licensing staff group may do in the admin. Events and activations are read-only
# (the history is append-only; machines change only through the licensing workflows), and
# nothing can be deleted: a license stays on record for its customer and for the books.
GRANTS = {
    "product": ("view", "add", "change"),
    "release": ("view", "add", "change", "delete"),
    "plan": ("view", "add", "change"),
    "license": ("view", "add", "change"),
    "keybatch": ("view", "add"),
    "activation": ("view",),
    "licenseevent": ("view",),
    "usagedaily": ("view",),
}


def grant(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations ran; this migration needs them now.
    app_config = apps.get_app_config("licensing")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Licensing")
    codenames = [f"{action}_{model}" for model, actions in GRANTS.items() for action in actions]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="licensing", codename__in=codenames))


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Licensing").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="licensing"))


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
