from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "contact"
    verbose_name = "Contact desk"

    def ready(self) -> None:
        from contact import checks  # noqa: F401  (registers the system checks)
