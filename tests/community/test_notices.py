from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.privacy import restriction
from community import notices, services
from community.models import Follow
from outbox.models import OutboundEmail


@pytest.fixture(autouse=True)
def _no_delay(settings):
    settings.COMMUNITY_NOTICE_DELAY_SECONDS = 0


def later():
    return timezone.now() + timedelta(seconds=1)


def test_a_follower_gets_an_email_with_one_click_unsubscribe(question, asker, helper, deliver_outbox):
    services.follow(user=asker, topic=question)
    services.reply(author=helper, topic=question, body="Try **H.264** instead.")
    assert notices.send_follow_notices(now=later()) == 1
    assert notices.send_follow_notices(now=later()) == 0  # nothing new: nothing sent twice
    [message] = deliver_outbox()
    assert message.to == [asker.email]
    assert message.subject == "New reply: Stream drops after upgrade"
    assert "Helper replied" in message.body and "Try H.264 instead." in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message.body
    assert helper.email not in message.body and asker.email not in message.body


def test_several_posts_go_out_as_one_digest(question, asker, helper, category, deliver_outbox):
    services.follow(user=asker, topic=question)
    services.follow(user=asker, category=category)
    for n in range(3):
        services.reply(author=helper, topic=question, body=f"Idea {n}")
    services.start_topic(author=helper, category=category, title="Another question", body="Text")
    assert notices.send_follow_notices(now=later()) == 1
    [message] = deliver_outbox()
    assert message.subject == "4 new posts in the Kalytera community"
    assert message.body.count("Idea ") == 3 and "Another question" in message.body


def test_nobody_is_told_about_their_own_post(question, asker):
    services.follow(user=asker, topic=question)
    services.reply(author=asker, topic=question, body="Me again")
    assert notices.send_follow_notices(now=later()) == 0


def test_people_who_declined_optional_email_get_none(question, asker, helper):
    services.follow(user=asker, topic=question)
    restriction.set_choices(user=asker, restrict=False, object_to_optional_mail=True)
    services.reply(author=helper, topic=question, body="Hello")
    assert notices.send_follow_notices(now=later()) == 0
    assert not OutboundEmail.objects.exists()
    assert Follow.objects.get(user=asker).notified_until > timezone.now() - timedelta(minutes=1)


def test_posts_settle_before_they_are_announced(question, asker, helper, settings):
    settings.COMMUNITY_NOTICE_DELAY_SECONDS = 300
    services.follow(user=asker, topic=question)
    services.reply(author=helper, topic=question, body="Hello")
    assert notices.send_follow_notices() == 0
    assert notices.send_follow_notices(now=timezone.now() + timedelta(seconds=301)) == 1


def test_unsubscribe_without_signing_in_one_click_post(client, question, asker, helper):
    follow = services.follow(user=asker, topic=question)
    token = notices.unsubscribe_token(user_id=asker.pk, follow_ids=[follow.pk])
    url = reverse("community:unsubscribe", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and Follow.objects.filter(pk=follow.pk).exists()  # scanners GET
    assert not page.cookies
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and not Follow.objects.filter(pk=follow.pk).exists()
    assert client.post(url).status_code == 200  # twice is fine


def test_a_forged_unsubscribe_link_is_not_found(client):
    assert client.post(reverse("community:unsubscribe", args=["forged"])).status_code == 404


def test_following_and_unfollowing_through_the_pages(client, question, asker):
    client.force_login(asker)
    client.post(reverse("community:follow_topic", args=[question.pk]))
    assert Follow.objects.filter(user=asker, topic=question).exists()
    assert "Stop following" in client.get(reverse("community:follows")).content.decode()
    client.post(reverse("community:follow_topic", args=[question.pk]), {"stop": "1"})
    assert not Follow.objects.filter(user=asker).exists()


def test_the_command_runs(question, asker, helper):
    from django.core.management import call_command

    services.follow(user=asker, topic=question)
    Follow.objects.update(notified_until=timezone.now() - timedelta(hours=1))
    services.reply(author=helper, topic=question, body="Hello")
    call_command("send_community_notices", stdout=None)
    assert len(mail.outbox) + OutboundEmail.objects.count() >= 1
