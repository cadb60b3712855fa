from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from community.models import Category, Topic
from legal.markdown import render_markdown


class CategoryFeed(Feed):
    """New topics of one category, as Atom (titles and opening posts that readers can see)."""

    feed_type = Atom1Feed

    def get_object(self, request, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category) -> str:
        return f"{obj.name} · Kalytera community"

    def link(self, obj: Category) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Category) -> str:
        return obj.description

    def items(self, obj: Category):
        return (
            Topic.objects.filter(
                category=obj, is_listed=True, posts__is_opening=True, posts__status="visible"
            )
            .select_related("author__community_profile")
            .order_by("-created_at")
            .values("pk", "title", "created_at", "posts__body", "author__community_profile__display_name")[
                :30
            ]
        )

    def item_title(self, item) -> str:
        return item["title"]

    def item_link(self, item) -> str:
        return Topic(pk=item["pk"], title=item["title"]).get_absolute_url()

    def item_description(self, item) -> str:
        return render_markdown(item["posts__body"])

    def item_pubdate(self, item):
        return item["created_at"]

    def item_author_name(self, item) -> str:
        return item["author__community_profile__display_name"] or "Former member"
