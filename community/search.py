"""Search over titles and posts: PostgreSQL full-text search, ``icontains`` on SQLite.

On PostgreSQL every post carries a search vector (its topic's title with weight A for an
opening post, the text with weight B), GIN-indexed; the newest ``RANK_CANDIDATES`` matches
are ranked with ``SearchRank`` and highlighted with ``SearchHeadline``. The highlights are
built from the raw Markdown, so they are escaped here and only our own markers become
``<mark>``.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from community.models import Post

START, STOP = "\x02", "\x03"  # never in a post: the form strips control characters
MAX_QUERY_CHARS = 200
# Only the newest matches of a query are ranked: ranking reads every candidate's vector, and a
# word in half of a million posts would otherwise cost seconds (docs/performance.md).
RANK_CANDIDATES = 2000


@dataclass(frozen=True)
class Filters:
    category_id: int | None = None
    release_id: int | None = None
    answered: bool | None = None


def search(query: str, filters: Filters = Filters(), *, limit: int = 30) -> list[Post]:
    """The best matches for ``query``; each post has ``title_html`` and ``excerpt_html``."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    posts = _filtered(filters)
    if connection.vendor == "postgresql":
        found = _full_text(posts, query)
    else:
        found = posts.filter(
            Q(body__icontains=query) | Q(is_opening=True, topic__title__icontains=query)
        ).order_by("-created_at")
    results = list(found[:limit])
    for post in results:
        post.title_html = _highlight(getattr(post, "title_headline", None) or post.topic.title)  # type: ignore[attr-defined]
        post.excerpt_html = _highlight(getattr(post, "headline", None) or post.body[:240])  # type: ignore[attr-defined]
    return results


def _filtered(filters: Filters) -> QuerySet[Post]:
    posts = Post.objects.filter(status=Post.Status.VISIBLE, topic__is_listed=True).select_related(
        "topic__category", "topic__release", "author__community_profile"
    )
    if filters.category_id:
        posts = posts.filter(topic__category_id=filters.category_id)
    if filters.release_id:
        posts = posts.filter(topic__release_id=filters.release_id)
    if filters.answered is not None:
        posts = posts.filter(topic__answer__isnull=not filters.answered)
    return posts


def _full_text(posts: QuerySet[Post], query: str) -> QuerySet[Post]:
    search_query = SearchQuery(query, search_type="websearch", config="english")
    newest = posts.filter(search_vector=search_query).order_by("-published_at").values("pk")[:RANK_CANDIDATES]
    return (
        posts.filter(pk__in=newest)
        .annotate(
            rank=SearchRank(F("search_vector"), search_query),
            headline=SearchHeadline(
                "body",
                search_query,
                config="english",
                start_sel=START,
                stop_sel=STOP,
                max_fragments=2,
                max_words=30,
            ),
            title_headline=SearchHeadline(
                "topic__title",
                search_query,
                config="english",
                start_sel=START,
                stop_sel=STOP,
                highlight_all=True,
            ),
        )
        .order_by("-rank", "-created_at")
    )


def _highlight(text: str) -> SafeString:
    return mark_safe(escape(text).replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308  (escaped)
