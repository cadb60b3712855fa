from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = "Legal"

    def ready(self) -> None:
        from legal import checks  # noqa: F401  (registers the system checks)
