from django.tasks import task

from accounts import privacy


@task()
def build_data_export(export_id: int) -> bool:
    return privacy.build_export(export_id=export_id, notify=True)
