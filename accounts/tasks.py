from django.tasks import task

from accounts.privacy import exports


@task()
def build_data_export(export_id: int) -> bool:
    return exports.build_export(export_id=export_id, notify=True)
