from django.urls import path
from django.views.decorators.http import require_GET

from legal import views
from legal.feeds import PolicyChanges

feed = require_GET(PolicyChanges())

app_name = "legal"

urlpatterns = [
    path("", views.index, name="index"),
    path("feed.atom", feed, name="feed"),
    path("history/", views.history, name="history"),
    path("notices/<int:notice_id>/dismiss/", views.dismiss_notice, name="dismiss_notice"),
    path("<slug:slug>/", views.policy_page, name="policy"),
    path("<slug:slug>/archive/", views.archive, name="archive"),
    path("<slug:slug>/v<int:number>/", views.version_page, name="version"),
    path("<slug:slug>/compare/", views.compare, name="compare"),
    path("<slug:slug>/versions.json", views.versions_json, name="versions_json"),
    path("<slug:slug>/feed.atom", feed, name="policy_feed"),
    path("<slug:slug>/accept/", views.accept, name="accept"),
]
