from django.urls import path

from advisories import feeds, views

app_name = "advisories"

urlpatterns = [
    path("security/advisories/", views.advisory_list, name="list"),
    path("security/advisories/feed/", feeds.AdvisoryFeed(), name="feed"),
    path("security/advisories/<str:identifier>/", views.advisory_detail, name="detail"),
    path(".well-known/csaf/provider-metadata.json", views.provider_metadata, name="csaf_provider_metadata"),
    path(".well-known/csaf/white/", views.csaf_directory, name="csaf_directory"),
    path(".well-known/csaf/white/index.txt", views.csaf_index, name="csaf_index"),
    path(".well-known/csaf/white/changes.csv", views.csaf_changes, name="csaf_changes"),
    path(".well-known/csaf/white/<int:year>/<str:filename>", views.csaf_document, name="csaf_document"),
]
