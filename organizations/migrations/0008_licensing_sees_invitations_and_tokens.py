from django.contrib.auth.management import create_permissions
from django.db import migrations

# The Licensing staff group sees an organization's invitations and API tokens in the admin
# (to answer "my invitation never came"), read-only: owners manage them on their page.
CODENAMES = ["view_invitation", "view_apitoken"]


def grant(apps, schema_editor) -> None:
    app_config = apps.get_app_config("organizations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Licensing")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="organizations", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Licensing").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="organizations", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0007_api_tokens")]

    operations = [migrations.RunPython(grant, revoke)]
