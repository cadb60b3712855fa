"""Email to followers about new posts: optional mail, batched, exactly once.

The job (``manage.py send_community_notices``, run by the scheduler) takes the people
with posts published since their last notice, a batch at a time, each batch in a
transaction that locks those people's rows with ``SKIP LOCKED`` (as the legal app's notice
job locks its version row): a second job running at the same time takes other people
instead of waiting, and the follows' ``notified_until`` moves on in the same transaction
that queues the email, so no post is announced twice and each person gets one message. Posts settle
for ``COMMUNITY_NOTICE_DELAY_SECONDS`` first; everything that arrived meanwhile goes out
as one message per person (a digest when there are several).

Every message is optional mail (``queue_email`` drops it for people who objected) and
carries a one-click unsubscribe link without sign-in, with the RFC 8058 headers.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from community.models import Follow, Post
from legal.markdown import text_blocks
from outbox.models import OutboundEmail
from outbox.services import queue_email

UNSUBSCRIBE_SALT = "community.unsubscribe"
EXCERPT_CHARS = 280


def send_follow_notices(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Queue the notices due now; returns how many emails were queued."""
    now = now or timezone.now()
    until = now - timedelta(seconds=settings.COMMUNITY_NOTICE_DELAY_SECONDS)
    batch_size = batch_size or settings.COMMUNITY_NOTICE_BATCH_SIZE
    queued = 0
    while (sent := _notice_batch(until=until, batch_size=batch_size)) is not None:
        queued += sent
    return queued


def _new_posts(until: datetime):
    """Visible posts published after the follow's last notice, by somebody else."""
    return Post.objects.filter(
        status=Post.Status.VISIBLE,
        topic__is_listed=True,
        published_at__gt=OuterRef("notified_until"),
        published_at__lte=until,
    ).exclude(author=OuterRef("user"))


def _notice_batch(*, until: datetime, batch_size: int) -> int | None:
    """Notify a batch of people; ``None`` when nobody is due (or every due person is taken)."""
    with transaction.atomic():
        in_topic = _new_posts(until).filter(topic=OuterRef("topic"))
        in_category = _new_posts(until).filter(topic__category=OuterRef("category"))
        due = Follow.objects.filter(notified_until__lt=until).filter(
            (Q(topic__isnull=False) & Exists(in_topic)) | (Q(category__isnull=False) & Exists(in_category))
        )
        # The person's row is the lock: all their follows go into one message, and a job
        # running at the same time skips them instead of writing a second one.
        people = list(
            get_user_model()
            .objects.select_for_update(skip_locked=True, of=("self",))
            .filter(Exists(due.filter(user=OuterRef("pk"))))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not people:
            return None
        # A fresh statement: follows another job notified while we waited are no longer due.
        follows = list(due.filter(user__in=people).select_related("user").order_by("user_id", "pk"))
        by_user: dict[int, list[Follow]] = {}
        for follow in follows:
            by_user.setdefault(follow.user_id, []).append(follow)
        queued = sum(_notify(user_follows, until) for user_follows in by_user.values())
        Follow.objects.filter(pk__in=[f.pk for f in follows]).update(notified_until=until)
        return queued


def _notify(follows: list[Follow], until: datetime) -> int:
    user = follows[0].user
    posts: dict[int, Post] = {}
    for follow in follows:
        scope = Q(topic_id=follow.topic_id) if follow.topic_id else Q(topic__category_id=follow.category_id)
        for post in (
            Post.objects.filter(scope, status=Post.Status.VISIBLE, topic__is_listed=True)
            .filter(published_at__gt=follow.notified_until, published_at__lte=until)
            .exclude(author=user)
            .select_related("topic", "author__community_profile")
        ):
            posts[post.pk] = post
    if not posts or not user.is_active:
        return 0
    items = [_item(post) for post in sorted(posts.values(), key=lambda p: p.published_at or until)]
    unsubscribe_url = settings.SITE_URL + reverse(
        "community:unsubscribe", args=[unsubscribe_token(user_id=user.pk, follow_ids=[f.pk for f in follows])]
    )
    email = queue_email(
        to=[user.email],
        template="community_new_posts",
        context={
            "items": items,
            "digest": len(items) > 1,
            "first": items[0],
            "unsubscribe_url": unsubscribe_url,
            "follows_url": settings.SITE_URL + reverse("community:follows"),
        },
        category=OutboundEmail.Category.INFORMATIONAL,
        user=user,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return 1 if email is not None else 0


def _item(post: Post) -> dict:
    words = " ".join(text for _, text in text_blocks(post.body))
    profile = getattr(post.author, "community_profile", None) if post.author else None
    return {
        "topic": post.topic.title,
        "author": profile.display_name if profile else "A former member",
        "new_topic": post.is_opening,
        "excerpt": words if len(words) <= EXCERPT_CHARS else words[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …",
        "url": settings.SITE_URL + post.get_absolute_url(),
    }


def unsubscribe_token(*, user_id: int, follow_ids: list[int]) -> str:
    """A link that ends the follows a message was sent for, without signing in (no expiry)."""
    return signing.dumps({"u": user_id, "f": sorted(follow_ids)}, salt=UNSUBSCRIBE_SALT, compress=True)


def follows_of_token(token: str) -> tuple[int, list[int]] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), [int(pk) for pk in data["f"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe(*, token: str) -> int | None:
    """End the follows named in ``token``; ``None`` for a forged or damaged link."""
    found = follows_of_token(token)
    if found is None:
        return None
    user_id, follow_ids = found
    return Follow.objects.filter(user_id=user_id, pk__in=follow_ids).delete()[0]
