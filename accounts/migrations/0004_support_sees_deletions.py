from django.contrib.auth.management import create_permissions
from django.db import migrations

# Support answers "what happened to my account?": it may see pending and completed
# deletions, never change them.
PERMISSIONS = ("view_deletionrequest", "view_deletionrecord")


def grant(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; make ours now.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for support in Group.objects.filter(name="Support"):
        support.permissions.remove(
            *Permission.objects.filter(content_type__app_label="accounts", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_privacy"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(grant, revoke)]
