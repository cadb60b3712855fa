import pytest
from django.urls import reverse

from community import services
from community.models import Category, Topic
from community.search import Filters, search


def ask(author, category, title: str, body: str, release=None) -> Topic:
    return services.start_topic(author=author, category=category, title=title, body=body, release=release)


@pytest.fixture
def fixture_posts(asker, helper, category):
    """A small corpus: the best match has the words in its title, weaker ones only in a body."""
    other = Category.objects.create(name="Licensing", slug="licensing")
    best = ask(asker, category, "Recording stops on camera failover", "Failover of the recording server.")
    body_only = ask(helper, category, "Disk question", "Is recording continued during failover?")
    once = ask(helper, other, "License moves", "Failover licenses?")
    ask(asker, other, "Unrelated", "Nothing to see <script>x</script>")
    answer = services.reply(author=helper, topic=best, body="Set the failover recording server.")
    services.mark_answer(user=asker, post=answer)
    return {"best": best, "body_only": body_only, "once": once}


@pytest.mark.postgres
def test_ranking_puts_title_matches_first_and_highlights(fixture_posts):
    results = search("recording failover")
    topics = [post.topic for post in results]
    assert topics[0] == fixture_posts["best"] and results[0].is_opening
    assert fixture_posts["body_only"] in topics
    assert fixture_posts["once"] not in topics  # every word must match (web search syntax)
    assert "<mark>Recording</mark>" in results[0].title_html
    assert "<mark>" in results[0].excerpt_html


@pytest.mark.postgres
def test_stemming_finds_other_forms_of_a_word(fixture_posts):
    assert fixture_posts["body_only"] in [p.topic for p in search("continue")]


def test_filters_by_category_answered_and_version(fixture_posts, category):
    found = {p.topic_id for p in search("failover", Filters(category_id=category.pk))}
    assert fixture_posts["once"].pk not in found and fixture_posts["best"].pk in found
    answered = {p.topic_id for p in search("failover", Filters(answered=True))}
    assert answered == {fixture_posts["best"].pk}
    unanswered = {p.topic_id for p in search("failover", Filters(answered=False))}
    assert fixture_posts["best"].pk not in unanswered and fixture_posts["once"].pk in unanswered


def test_version_filter(asker, category, product):
    release = product.releases.get(version="6.2.0")
    tagged = ask(asker, category, "Tagged failover", "x", release=release)
    ask(asker, category, "Untagged failover", "x")
    assert [p.topic for p in search("failover", Filters(release_id=release.pk))] == [tagged]


def test_highlights_escape_what_people_wrote(asker, category):
    ask(asker, category, "Markup <b>failover</b>", "<img src=x> failover")
    [post] = search("failover")
    assert "<img" not in post.excerpt_html and "<b>" not in post.title_html


def test_hidden_and_held_posts_are_not_found(fixture_posts):
    services.hide_post(post=fixture_posts["once"].posts.get(), reason="Spam")
    assert fixture_posts["once"] not in [p.topic for p in search("licenses")]


def test_the_search_page(client, fixture_posts, category):
    query = {"q": "failover", "category": category.pk, "answered": "yes"}
    response = client.get(reverse("community:search"), query)
    html = response.content.decode()
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "Recording stops on camera failover" in html or "<mark>" in html
    assert "License moves" not in html
    assert not response.cookies
    assert Topic.objects.count() == 4


@pytest.mark.postgres
def test_only_the_newest_matches_are_ranked(asker, category, monkeypatch):
    from community import search as search_module

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    oldest = ask(asker, category, "Failover failover failover", "failover")
    newer = [ask(asker, category, f"Question {n}", "failover") for n in range(2)]
    found = {post.topic for post in search("failover")}
    assert found == set(newer) and oldest not in found
