import json

import pytest

from accounts.privacy import exports
from community import services
from community.models import DisplayNameChange, Follow, Post, PostRevision, Profile, Report, Topic, Vote
from kalytera import personal_data
from tests.community import privacy_seed


@pytest.fixture
def seeded(customer):
    privacy_seed.seed(customer)
    return customer


def test_the_export_holds_posts_votes_follows_reports_and_earlier_names(seeded):
    data = json.loads(exports.report_as_json(seeded))
    text = json.dumps(data)
    expected_texts = ("Carla C", "Carla Customer asks", "I am Carla", "Earlier text", "thinks this is wrong")
    for expected in expected_texts:
        assert expected in text
    keys = {section.key for section in personal_data.sections()}
    assert {f"community_{kind}" for kind in ("profile", "posts", "votes", "follows", "reports")} <= keys


def test_deletion_removes_the_text_and_keeps_the_thread_without_a_name(seeded, helper):
    topic = Topic.objects.get(title="Carla Customer asks")
    reply = services.reply(author=helper, topic=topic, body="Helper's answer stays.")
    for section in reversed(personal_data.sections()):
        if section.key.startswith("community_"):
            section.erase(seeded)
            section.erase(seeded)  # safe twice
    opening = Post.objects.get(topic=topic, is_opening=True)
    assert opening.status == Post.Status.REMOVED and opening.body == "" and opening.author is None
    topic.refresh_from_db()
    assert topic.author is None and topic.title == "Removed topic" and topic.is_listed
    assert Post.objects.get(pk=reply.pk).body == "Helper's answer stays."
    assert not PostRevision.objects.filter(post=opening).exists()
    assert not Profile.objects.filter(user=seeded).exists() and not DisplayNameChange.objects.exists()
    assert not Vote.objects.filter(user=seeded).exists() and not Follow.objects.filter(user=seeded).exists()
    assert not Report.objects.filter(reporter=seeded).exists()
    assert Post.objects.filter(body="An answer.").get().vote_count == 0


def test_the_page_of_a_removed_author_shows_no_name(client, seeded):
    topic = Topic.objects.get(title="Carla Customer asks")
    for section in personal_data.sections():
        if section.key.startswith("community_"):
            section.erase(seeded)
    topic.refresh_from_db()
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Carla" not in html and "Removed." in html and "Former member" in html
