from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        # Register the system checks.
        from licensing import checks, signing_checks  # noqa: F401
