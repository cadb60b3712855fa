from django.urls import path

from accounts.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.center, name="center"),
    path("data/", views.your_data, name="your_data"),
    path("export/", views.request_export, name="request_export"),
    path("export/<int:export_id>/download/", views.download_export, name="download_export"),
    path("choices/", views.save_choices, name="choices"),
    path("security/", views.security_timeline, name="security_timeline"),
    path("delete/", views.delete_account, name="delete_account"),
    path("delete/scheduled/", views.deletion_scheduled, name="deletion_scheduled"),
    path("delete/cancel/", views.cancel_deletion, name="cancel_deletion"),
]
