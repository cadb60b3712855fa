from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from community import notices, services
from community.models import Category, Post, Vote
from outbox.models import OutboundEmail
from tests.community.conftest import member
from tests.concurrency import at_once

PEOPLE = 12
JOBS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_vote_sent_at_once_counts_once():
    category = Category.objects.create(name="Cameras", slug="cameras")
    asker, helper = member("a@customer.example", "Asker"), member("h@customer.example", "Helper")
    topic = services.start_topic(author=asker, category=category, title="Q", body="Q")
    reply = services.reply(author=helper, topic=topic, body="A")

    def vote(_: int) -> None:
        client = Client()
        client.force_login(asker)
        assert client.post(f"/community/write/p/{reply.pk}/vote/").status_code == 302

    assert at_once(vote, 6) == []
    reply.refresh_from_db()
    assert Vote.objects.filter(post=reply).count() == 1 and reply.vote_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_votes_of_many_people_at_once_are_all_counted():
    category = Category.objects.create(name="Cameras", slug="cameras")
    asker = member("a@customer.example", "Asker")
    topic = services.start_topic(author=asker, category=category, title="Q", body="Q")
    reply = services.reply(author=asker, topic=topic, body="A")
    voters = [member(f"v{n}@customer.example", f"Voter {n}") for n in range(8)]
    assert at_once(lambda n: services.vote(user=voters[n], post=reply), 8) == []
    reply.refresh_from_db()
    assert reply.vote_count == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_answers_marked_at_once_leave_exactly_one():
    category = Category.objects.create(name="Cameras", slug="cameras")
    asker, helper = member("a@customer.example", "Asker"), member("h@customer.example", "Helper")
    topic = services.start_topic(author=asker, category=category, title="Q", body="Q")
    replies = [services.reply(author=helper, topic=topic, body=f"A{n}") for n in range(4)]
    assert at_once(lambda n: services.mark_answer(user=asker, post=replies[n]), 4) == []
    topic.refresh_from_db()
    assert topic.answer_id in {r.pk for r in replies}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_notice_jobs_running_at_once_send_each_follower_exactly_one_email(settings):
    settings.COMMUNITY_NOTICE_DELAY_SECONDS = 0
    category = Category.objects.create(name="Cameras", slug="cameras")
    author = member("author@customer.example", "Author")
    topic = services.start_topic(author=author, category=category, title="Q", body="Q")
    followers = [member(f"f{n}@customer.example", f"Follower {n}") for n in range(PEOPLE)]
    for n, follower in enumerate(followers):
        services.follow(user=follower, topic=topic)
        if n % 2:
            services.follow(user=follower, category=category)  # two follows, still one email
    for n in range(3):
        services.reply(author=author, topic=topic, body=f"News {n}")
    now = timezone.now() + timedelta(seconds=1)

    queued: list[int] = []
    errors = at_once(lambda _: queued.append(notices.send_follow_notices(now=now, batch_size=2)), JOBS)

    assert errors == []
    assert sum(queued) == PEOPLE
    recipients = Counter(e.recipients[0] for e in OutboundEmail.objects.all())
    assert len(recipients) == PEOPLE and set(recipients.values()) == {1}
    assert [message.body.count("News ") for message in mail.outbox] == [3] * PEOPLE  # delivered at once
    assert notices.send_follow_notices(now=now) == 0
    assert Post.objects.filter(topic=topic).count() == 4
