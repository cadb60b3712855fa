from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "advisories"
    verbose_name = "Security advisories and incident notices"
