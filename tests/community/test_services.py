import pytest
from django.utils import timezone

from community import services
from community.models import DisplayNameChange, Post, PostRevision, Profile, Topic
from community.services import CommunityError
from tests import personas
from tests.community.conftest import member


def test_a_display_name_is_unique_whatever_its_capitals(asker):
    other = personas.make_customer("other@customer.example")
    with pytest.raises(CommunityError) as refused:
        services.choose_display_name(user=other, name="ASKER")
    assert refused.value.code == "community.name_taken"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("carla@customer.example", "community.name_email"),
        ("ab", "community.name_length"),
        ("x" * 31, "community.name_length"),
        ("<script>", "community.name_characters"),
        ("Staff", "community.name_reserved"),
        ("Former Member", "community.name_reserved"),
    ],
)
def test_a_display_name_is_validated(customer, name, code):
    with pytest.raises(CommunityError) as refused:
        services.choose_display_name(user=customer, name=name)
    assert refused.value.code == code


def test_renaming_keeps_the_earlier_name_for_moderators(asker):
    services.choose_display_name(user=asker, name="Asker Two")
    profile = Profile.objects.get(user=asker)
    assert profile.display_name == "Asker Two"
    assert list(DisplayNameChange.objects.filter(profile=profile).values_list("old_name", "new_name")) == [
        ("Asker", "Asker Two")
    ]


def test_posting_needs_a_display_name(customer, category):
    with pytest.raises(CommunityError) as refused:
        services.start_topic(author=customer, category=category, title="Hello", body="Text")
    assert refused.value.code == "community.no_name"


def test_the_first_posts_of_a_new_member_wait_for_review_until_one_is_approved(category):
    newcomer = member("new@customer.example", "Newcomer", trusted=False)
    topic = services.start_topic(author=newcomer, category=category, title="First", body="Hello")
    opening = topic.posts.get()
    assert opening.status == Post.Status.HELD and not topic.is_listed and opening.published_at is None
    services.approve_post(post=opening)
    opening.refresh_from_db()
    topic.refresh_from_db()
    assert opening.status == Post.Status.VISIBLE and topic.is_listed and opening.published_at
    assert services.reply(author=newcomer, topic=topic, body="Now at once").status == Post.Status.VISIBLE


def test_a_new_member_may_post_only_a_few_links(category, settings):
    settings.COMMUNITY_NEW_MEMBER_MAX_LINKS = 2
    newcomer = member("new@customer.example", "Newcomer", trusted=False)
    body = "See https://a.example https://b.example and www.c.example"
    with pytest.raises(CommunityError) as refused:
        services.start_topic(author=newcomer, category=category, title="Links", body=body)
    assert refused.value.code == "community.too_many_links"
    assert "Remove some" in refused.value.message


def test_a_trusted_member_may_post_more_links(asker, category):
    body = "See https://a.example https://b.example and www.c.example"
    assert services.start_topic(author=asker, category=category, title="Links", body=body).is_listed


def test_a_post_over_the_maximum_size_is_refused(asker, category, settings):
    settings.COMMUNITY_MAX_POST_CHARS = 100
    with pytest.raises(CommunityError) as refused:
        services.start_topic(author=asker, category=category, title="Long", body="x" * 101)
    assert refused.value.code == "community.too_long"


def test_a_program_that_fills_the_trap_is_held_for_review(asker, category):
    topic = services.start_topic(author=asker, category=category, title="Buy", body="Cheap", trapped=True)
    assert topic.posts.get().status == Post.Status.HELD


def test_an_edit_keeps_the_earlier_text(question, asker):
    opening = question.posts.get()
    services.edit_post(user=asker, post=opening, body="Three cameras now.", title="Streams drop")
    opening.refresh_from_db()
    question.refresh_from_db()
    assert opening.body == "Three cameras now." and opening.edited_at is not None
    assert question.title == "Streams drop"
    revision = PostRevision.objects.get(post=opening)
    assert (revision.title, revision.body) == ("Stream drops after upgrade", "Two cameras lose their stream.")


def test_only_the_author_edits(question, helper):
    with pytest.raises(CommunityError):
        services.edit_post(user=helper, post=question.posts.get(), body="Mine now", title="X")


def test_removing_a_reply_keeps_its_place_and_the_thread(question, helper):
    post = services.reply(author=helper, topic=question, body="Try H.264.")
    services.mark_answer(user=question.author, post=post)
    services.remove_post(user=helper, post=post)
    post.refresh_from_db()
    question.refresh_from_db()
    assert post.status == Post.Status.REMOVED and post.body == ""
    assert question.reply_count == 0 and question.answer is None and question.is_listed


def test_removing_the_opening_post_keeps_the_replies_readable(question, asker, helper):
    services.reply(author=helper, topic=question, body="Try H.264.")
    services.remove_post(user=asker, post=question.posts.get(is_opening=True))
    question.refresh_from_db()
    assert question.is_listed and question.title == "Removed topic" and question.reply_count == 1


def test_the_author_or_staff_marks_the_answer_nobody_else(question, helper, support_user):
    post = services.reply(author=helper, topic=question, body="Try H.264.")
    with pytest.raises(CommunityError):
        services.mark_answer(user=helper, post=post)
    services.mark_answer(user=support_user, post=post)
    assert Topic.objects.get(pk=question.pk).answer == post


def test_one_vote_per_person_and_none_for_oneself(question, asker, helper):
    post = services.reply(author=helper, topic=question, body="Try H.264.")
    assert services.vote(user=asker, post=post) is True
    assert services.vote(user=asker, post=post) is False
    with pytest.raises(CommunityError):
        services.vote(user=helper, post=post)
    post.refresh_from_db()
    assert post.vote_count == 1
    services.withdraw_vote(user=asker, post=post)
    post.refresh_from_db()
    assert post.vote_count == 0


def test_hiding_needs_a_reason_and_the_author_sees_it(question, helper):
    post = services.reply(author=helper, topic=question, body="Buy cheap licenses at spam.example")
    with pytest.raises(CommunityError):
        services.hide_post(post=post, reason=" ")
    services.hide_post(post=post, reason="Advertising")
    post.refresh_from_db()
    question.refresh_from_db()
    assert post.status == Post.Status.HIDDEN and post.moderation_reason == "Advertising"
    assert question.reply_count == 0
    services.restore_post(post=post)
    question.refresh_from_db()
    assert question.reply_count == 1


def test_a_locked_topic_takes_no_replies(question, helper):
    Topic.objects.filter(pk=question.pk).update(is_locked=True)
    with pytest.raises(CommunityError) as refused:
        services.reply(author=helper, topic=question, body="Late")
    assert "Start a new topic" in refused.value.message


def test_merging_moves_the_posts_and_leads_to_the_target(question, asker, helper, category):
    duplicate = services.start_topic(author=helper, category=category, title="Streams drop", body="Same here")
    services.reply(author=asker, topic=duplicate, body="Yes")
    services.follow(user=helper, topic=duplicate)
    target = services.merge_topics(source=duplicate, target=question)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == question and not duplicate.is_listed
    assert target.reply_count == 2
    assert question.posts.filter(is_opening=True).count() == 1 and question.posts.count() == 3
    assert question.follows.filter(user=helper).exists()


def test_a_suspended_member_cannot_post_but_keeps_everything_else(question, helper):
    profile = Profile.objects.get(user=helper)
    services.suspend(profile=profile, until=timezone.now() + timezone.timedelta(days=7), reason="Insults")
    with pytest.raises(CommunityError) as refused:
        services.reply(author=helper, topic=question, body="Hi")
    assert refused.value.code == "community.suspended"
    assert "Insults" in refused.value.message and "licenses" in refused.value.message
    helper.refresh_from_db()
    assert helper.is_active
