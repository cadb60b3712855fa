"""Tasks queued before the move of mail delivery and data exports keep running.

A queued task names its function by dotted path. ``kalytera.tasks`` and ``accounts.tasks`` no
longer exist, so a task queued under those paths before an upgrade would fail to load in the
worker; this rewrites the paths of the tasks still waiting to run.
"""

from django.db import migrations

MOVED_TASKS = {
    "kalytera.tasks.deliver_email": "outbox.delivery.deliver_email",
    "accounts.tasks.build_data_export": "accounts.privacy.exports.build_data_export",
}


def rename_queued_tasks(apps, schema_editor, renames=MOVED_TASKS):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old_path, new_path in renames.items():
        task_results.objects.filter(task_path=old_path, status="READY").update(task_path=new_path)


def restore_queued_tasks(apps, schema_editor):
    rename_queued_tasks(apps, schema_editor, {new: old for old, new in MOVED_TASKS.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_claimed_until"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(rename_queued_tasks, restore_queued_tasks)]
