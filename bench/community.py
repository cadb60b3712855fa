"""Timings of the community's pages and search with a million posts, on PostgreSQL.

    DATABASE_URL=postgres://... .venv/bin/python bench/community.py [--topics 100000] [--replies 9]

Fills the database in one transaction (topics x (1 + replies) posts with search vectors, written
by SQL), times the pages in-process with Django's test client (no network, no server: the
view, its queries and the template), prints one line per measurement, and rolls everything
back. Numbers are the median of ``--runs`` requests after one warm-up request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from community import services  # noqa: E402
from community.models import Category, Post, Profile, Topic  # noqa: E402
from legal import services as legal  # noqa: E402
from tests import personas  # noqa: E402

WORDS = (  # noqa: SIM905  (a sentence reads better than sixty quoted words)
    "camera stream recording server license activation offline upgrade firmware onvif h264 h265 "
    "storage disk archive export evidence motion detection analytics plate reader timeout keyframe "
    "network bandwidth multicast unicast failover cluster backup restore client mobile browser "
    "alarm event trigger relay schedule retention user role permission certificate port firewall "
    "night infrared resolution framerate bitrate codec decoder encoder gpu cpu memory windows linux"
).split()
RARE = "zeitgeber"


class Rollback(Exception):
    pass


def median_ms(client: Client, url: str, runs: int) -> float:
    assert client.get(url).status_code == 200, url  # warm-up (and a check)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fill(topics: int, replies: int) -> tuple[list[int], Topic]:
    authors = [personas.make_customer(f"bench{n}@customer.example") for n in range(50)]
    for author in authors:
        legal.record_signup_acceptances(user=author)  # the Terms in force, if the database has them
    for n, author in enumerate(authors):
        Profile.objects.create(user=author, display_name=f"Bench member {n}", trusted_at=timezone.now())
    categories = [Category.objects.create(name=f"Category {n}", slug=f"category-{n}") for n in range(8)]
    ids = [a.pk for a in authors]
    before = Topic.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO community_topic (category_id, title, author_id, created_at, last_activity_at,
                is_listed, is_pinned, is_locked, reply_count)
            SELECT (%(cats)s::bigint[])[1 + g %% 8],
                   'Topic ' || g || ' about ' || (%(words)s::text[])[1 + g %% 60] || ' and '
                       || (%(words)s::text[])[1 + (g * 7) %% 60],
                   (%(ids)s::bigint[])[1 + g %% 50],
                   now() - make_interval(mins => g), now() - make_interval(mins => g),
                   true, false, false, %(replies)s
            FROM generate_series(1, %(topics)s) g
            """,
            {
                "cats": [c.pk for c in categories],
                "words": WORDS,
                "ids": ids,
                "topics": topics,
                "replies": replies,
            },
        )
        cursor.execute(
            """
            INSERT INTO community_post (topic_id, author_id, is_opening, body, status, moderation_reason,
                created_at, published_at, vote_count, search_vector)
            SELECT t.id, t.author_id, n = 0, p.body, 'visible', '', t.created_at + make_interval(secs => n),
                   t.created_at + make_interval(secs => n), 0,
                   setweight(to_tsvector('english', CASE WHEN n = 0 THEN t.title ELSE '' END), 'A')
                       || setweight(to_tsvector('english', p.body), 'B')
            FROM community_topic t
            CROSS JOIN generate_series(0, %(replies)s) n
            CROSS JOIN LATERAL (
                SELECT array_to_string(ARRAY(
                    SELECT (%(words)s::text[])[1 + floor(random() * 60 + n * 0 + t.id * 0)::int]
                    FROM generate_series(1, 40)
                ), ' ') || CASE WHEN t.id %% 100000 = 7 THEN ' ' || %(rare)s ELSE '' END AS body
            ) p
            WHERE t.id > %(before)s
            """,
            {"words": WORDS, "replies": replies, "rare": RARE, "before": before},
        )
        cursor.execute("ANALYZE community_topic; ANALYZE community_post")
    big = services.start_topic(author=authors[0], category=categories[0], title="A long thread", body="Start")
    for n in range(200):
        text = " ".join(WORDS[n % 50 :][:30])
        services.reply(author=authors[1 + n % 49], topic=big, body=f"Reply {n}: {text}")
    return [c.pk for c in categories], big


def explain(words: str) -> None:
    from community.search import Filters, _filtered, _full_text

    queryset = _full_text(_filtered(Filters()), words)[:30]
    print(queryset.explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, default=100_000)
    parser.add_argument("--replies", type=int, default=9, help="replies per topic")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", default="", help="print the plan of the search for these words")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (set DATABASE_URL).")
    try:
        with transaction.atomic():
            start = time.perf_counter()
            categories, big = fill(args.topics, args.replies)
            posts = Post.objects.count()
            took = time.perf_counter() - start
            print(f"filled {posts:,} posts in {Topic.objects.count():,} topics: {took:.0f} s")
            client = Client()
            some_topic = Topic.objects.order_by("-last_activity_at")[500]
            category = Category.objects.get(pk=categories[1])
            search = reverse("community:search")
            pages = [
                ("community index", reverse("community:index")),
                ("category, first page", category.get_absolute_url()),
                ("category, page 200", category.get_absolute_url() + "?page=200"),
                ("topic page, 10 posts", some_topic.get_absolute_url()),
                ("topic page, 201 posts", big.get_absolute_url()),
                ("search, two common words", f"{search}?q=camera+stream"),
                ("search, a rare word", f"{search}?q={RARE}"),
                (
                    "search, common word in one category, unanswered",
                    f"{search}?q=firmware&category={categories[2]}&answered=no",
                ),
                ("category Atom feed", reverse("community:category_feed", args=[category.slug])),
            ]
            for label, url in pages:
                print(f"{label}: {median_ms(client, url, args.runs):.1f} ms")
            if args.explain:
                explain(args.explain)
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
