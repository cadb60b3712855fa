"""Community data for the privacy tests' person: a name with history, posts, a vote, follows, a report."""

from accounts.models import User
from community import services
from community.models import Category, Follow, Post, PostRevision, Report, Topic, Vote
from tests.accounts.privacy_seed import NAME


def seed(user) -> None:
    services.choose_display_name(user=user, name="Carla C")
    services.choose_display_name(user=user, name=NAME)
    category = Category.objects.create(name="Privacy seed", slug="privacy-seed")
    topic = Topic.objects.create(category=category, title=f"{NAME} asks", author=user)
    opening = Post.objects.create(topic=topic, author=user, is_opening=True, body=f"I am {NAME}.")
    PostRevision.objects.create(post=opening, title=topic.title, body=f"Earlier text by {NAME}.")
    other = User.objects.create_user("other-member@customer.example")
    their_reply = Post.objects.create(topic=topic, author=other, body="An answer.")
    Vote.objects.create(post=their_reply, user=user)
    Follow.objects.create(user=user, topic=topic)
    Follow.objects.create(user=user, category=category)
    Report.objects.create(post=their_reply, reporter=user, reason=f"{NAME} thinks this is wrong")
