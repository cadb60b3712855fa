from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class KalyteraConfig(AppConfig):
    default = True
    name = "kalytera"
    verbose_name = "Platform"

    def ready(self) -> None:
        from kalytera import checks  # noqa: F401  (registers the system checks)


class KalyteraAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "kalytera.admin_site.KalyteraAdminSite"
