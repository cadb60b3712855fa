from django.contrib.auth.management import create_permissions
from django.db import migrations

# The Support group works the desk and nothing else. Inquiries come from the form only
# (no "add"), and the thread is a record (no editing or deleting of its entries).
SUPPORT_PERMISSIONS = (
    "view_inquiry",
    "change_inquiry",
    "delete_inquiry",
    "view_threadentry",
    "add_threadentry",
)


def grant(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations ran; the grant needs them now.
    app_config = apps.get_app_config("contact")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.add(
        *Permission.objects.filter(content_type__app_label="contact", codename__in=SUPPORT_PERMISSIONS)
    )


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Support"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="contact", codename__in=SUPPORT_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contact", "0001_initial"),
        ("accounts", "0002_staff_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
