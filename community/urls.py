from django.urls import path

from community import views
from community.feeds import CategoryFeed

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search_page, name="search"),
    path("t/<int:pk>/", views.topic, name="topic_short"),
    path("t/<int:pk>/<slug:slug>/", views.topic, name="topic"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Everything under write/ passes the Terms gate (LEGAL_ACCEPTANCE_REQUIRED_PREFIXES).
    path("write/new/", views.new_topic, name="new_topic"),
    path("write/name/", views.name, name="name"),
    path("write/follows/", views.follows, name="follows"),
    path("write/t/<int:pk>/reply/", views.reply, name="reply"),
    path("write/t/<int:pk>/follow/", views.follow_topic, name="follow_topic"),
    path("write/c/<slug:slug>/follow/", views.follow_category, name="follow_category"),
    path("write/p/<int:pk>/edit/", views.edit, name="edit"),
    path("write/p/<int:pk>/remove/", views.remove, name="remove"),
    path("write/p/<int:pk>/vote/", views.vote, name="vote"),
    path("write/p/<int:pk>/answer/", views.answer, name="answer"),
    path("write/p/<int:pk>/report/", views.report, name="report"),
    path("<slug:slug>/", views.category, name="category"),
    path("<slug:slug>/feed/", CategoryFeed(), name="category_feed"),
]
