"""Community workflows: names, topics, replies, votes, answers, reports, follows and moderation.

Every function is keyword-only and transactional. Races are left to the database: one
vote per person and reply, one report per person and post and one display name whatever
its case are unique constraints; counters change with ``F()`` updates.
"""

import re
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.fields import TextField
from django.utils import timezone

from community import rules
from community.models import (
    Category,
    DisplayNameChange,
    Follow,
    Post,
    PostRevision,
    Profile,
    Report,
    Topic,
    Vote,
)
from kalytera.errors import DomainError
from licensing.models import Release

# Letters (any script), digits, spaces, dots, hyphens and underscores; starts with a letter or digit.
DISPLAY_NAME = re.compile(r"^[^\W_][\w .-]*$")
DISPLAY_NAME_MIN, DISPLAY_NAME_MAX = 3, 30
RESERVED_NAMES = {"admin", "administrator", "kalytera", "moderator", "staff", "support", "former member"}
TITLE_MAX = 150
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


class CommunityError(DomainError):
    """A refused community action; ``next_url`` (may be empty) is where to go about it."""

    def __init__(self, code: str, message: str, next_url: str = "") -> None:
        super().__init__(code, message)
        self.next_url = next_url


# --- Display names -----------------------------------------------------------------------------------


def check_display_name(name: str) -> str:
    """The name, tidied; raises ``CommunityError`` saying what to change."""
    name = " ".join(name.split())
    if not DISPLAY_NAME_MIN <= len(name) <= DISPLAY_NAME_MAX:
        raise CommunityError(
            "community.name_length",
            f"Choose a name of {DISPLAY_NAME_MIN} to {DISPLAY_NAME_MAX} characters.",
        )
    if "@" in name:
        raise CommunityError(
            "community.name_email", "A display name cannot contain “@”: it must not be an email address."
        )
    if not DISPLAY_NAME.match(name):
        raise CommunityError(
            "community.name_characters",
            "Use letters, digits, spaces, dots, hyphens and underscores, starting with a letter or digit.",
        )
    if name.lower() in RESERVED_NAMES:
        raise CommunityError("community.name_reserved", "That name is reserved. Please choose another one.")
    return name


@transaction.atomic
def choose_display_name(*, user, name: str) -> Profile:
    """Create the person's profile with ``name``, or rename it and keep the old name on record."""
    name = check_display_name(name)
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is not None and profile.display_name == name:
        return profile
    try:
        with transaction.atomic():
            if profile is None:
                profile = Profile.objects.create(
                    user=user, display_name=name, trusted_at=timezone.now() if user.is_staff else None
                )
            else:
                DisplayNameChange.objects.create(
                    profile=profile, old_name=profile.display_name, new_name=name
                )
                profile.display_name = name
                profile.save(update_fields=["display_name"])
    except IntegrityError:
        raise CommunityError(
            "community.name_taken",
            f"The name “{name}” is taken (whatever its capitals). Please choose another.",
        ) from None
    return profile


# --- Posting -------------------------------------------------------------------------------------------


def _poster(user) -> Profile:
    refusal = rules.posting_refusal(user)
    if refusal is not None:
        raise CommunityError(refusal.code, refusal.message, refusal.next_url)
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        raise CommunityError("community.no_name", "Choose a display name first: it is shown with your posts.")
    return profile


def _check_body(body: str, profile: Profile) -> str:
    body = body.strip()
    if not body:
        raise CommunityError("community.empty", "Write something first.")
    if len(body) > settings.COMMUNITY_MAX_POST_CHARS:
        raise CommunityError(
            "community.too_long",
            f"Please shorten your post to {settings.COMMUNITY_MAX_POST_CHARS:,} characters "
            f"(it has {len(body):,}).",
        )
    links = len(LINK.findall(body))
    if profile.trusted_at is None and links > settings.COMMUNITY_NEW_MEMBER_MAX_LINKS:
        raise CommunityError(
            "community.too_many_links",
            f"New members can include up to {settings.COMMUNITY_NEW_MEMBER_MAX_LINKS} links in a post "
            f"(this one has {links}). Remove some; the limit ends once a moderator "
            "approved your first posts.",
        )
    return body


def _initial_status(profile: Profile, *, trapped: bool) -> str:
    if trapped or profile.trusted_at is None:
        return Post.Status.HELD
    return Post.Status.VISIBLE


def _index(post: Post, title: str = "") -> None:
    """Write the post's search vector (PostgreSQL only; SQLite searches with ``icontains``)."""
    if connection.vendor != "postgresql":
        return
    Post.objects.filter(pk=post.pk).update(
        search_vector=SearchVector(Value(title, output_field=TextField()), weight="A", config="english")
        + SearchVector("body", weight="B", config="english")
    )


@transaction.atomic
def start_topic(
    *,
    author,
    category: Category,
    title: str,
    body: str,
    release: Release | None = None,
    trapped: bool = False,
) -> Topic:
    """A new topic with its opening post; held for review for new members (and for programs)."""
    profile = _poster(author)
    title = " ".join(title.split())
    if not title:
        raise CommunityError("community.no_title", "Give your topic a title.")
    if len(title) > TITLE_MAX:
        raise CommunityError(
            "community.title_too_long", f"Please shorten the title to {TITLE_MAX} characters."
        )
    body = _check_body(body, profile)
    now = timezone.now()
    status = _initial_status(profile, trapped=trapped)
    topic = Topic.objects.create(
        category=category,
        title=title,
        release=release,
        author=author,
        created_at=now,
        last_activity_at=now,
        is_listed=status == Post.Status.VISIBLE,
    )
    post = Post.objects.create(
        topic=topic,
        author=author,
        is_opening=True,
        body=body,
        status=status,
        created_at=now,
        published_at=now if status == Post.Status.VISIBLE else None,
    )
    _index(post, title)
    return topic


@transaction.atomic
def reply(*, author, topic: Topic, body: str, trapped: bool = False) -> Post:
    profile = _poster(author)
    locked = Topic.objects.select_for_update().get(pk=topic.pk)
    if locked.is_locked or not locked.is_listed:
        raise CommunityError(
            "community.locked", "This topic takes no new replies. Start a new topic and link to this one."
        )
    body = _check_body(body, profile)
    now = timezone.now()
    status = _initial_status(profile, trapped=trapped)
    post = Post.objects.create(
        topic=locked,
        author=author,
        body=body,
        status=status,
        created_at=now,
        published_at=now if status == Post.Status.VISIBLE else None,
    )
    if status == Post.Status.VISIBLE:
        Topic.objects.filter(pk=locked.pk).update(reply_count=F("reply_count") + 1, last_activity_at=now)
    _index(post)
    return post


@transaction.atomic
def edit_post(*, user, post: Post, body: str, title: str | None = None) -> Post:
    """Replace the text; the previous text is kept for moderators and readers see "edited"."""
    profile = _poster(user)
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if not rules.may_edit(user, post):
        raise CommunityError("community.not_yours", "You can edit only your own posts.")
    body = _check_body(body, profile)
    new_title = " ".join((title or "").split()) if post.is_opening else ""
    if post.is_opening and not new_title:
        raise CommunityError("community.no_title", "Give your topic a title.")
    if body == post.body and (not post.is_opening or new_title == post.topic.title):
        return post
    PostRevision.objects.create(post=post, title=post.topic.title if post.is_opening else "", body=post.body)
    post.body = body
    post.edited_at = timezone.now()
    post.save(update_fields=["body", "edited_at"])
    if post.is_opening:
        Topic.objects.filter(pk=post.topic_id).update(title=new_title)
    _index(post, new_title)
    return post


def _unlist(post: Post) -> None:
    """A post leaves the thread's counters (hidden, removed)."""
    if post.is_opening:
        return
    if post.status == Post.Status.VISIBLE:
        Topic.objects.filter(pk=post.topic_id, reply_count__gt=0).update(reply_count=F("reply_count") - 1)
    Topic.objects.filter(pk=post.topic_id, answer=post).update(answer=None)


@transaction.atomic
def remove_post(*, user, post: Post) -> Post:
    """The author removes their post: its text is gone, its place in the thread stays."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.author_id != user.pk:
        raise CommunityError("community.not_yours", "You can remove only your own posts.")
    if post.status == Post.Status.REMOVED:
        return post
    _erase_text(post)
    return post


def _erase_text(post: Post) -> None:
    _unlist(post)
    post.revisions.all().delete()
    Post.objects.filter(pk=post.pk).update(status=Post.Status.REMOVED, body="", search_vector=None)
    if post.is_opening:
        # Replies stay readable under a neutral title; a topic held for review disappears.
        Topic.objects.filter(pk=post.topic_id).update(
            title="Removed topic", is_listed=post.status != Post.Status.HELD
        )
    post.status = Post.Status.REMOVED
    post.body = ""


# --- Votes and answers --------------------------------------------------------------------------------


def _votable(post_id: int) -> Post:
    post = Post.objects.filter(pk=post_id, status=Post.Status.VISIBLE, is_opening=False).first()
    if post is None:
        raise CommunityError("community.not_votable", "Only visible replies take votes.")
    return post


@transaction.atomic
def vote(*, user, post: Post) -> bool:
    """Vote for a reply; ``False`` if this person had voted already (the constraint decides)."""
    _poster(user)
    post = _votable(post.pk)
    if post.author_id == user.pk:
        raise CommunityError("community.own_post", "You cannot vote for your own reply.")
    try:
        with transaction.atomic():
            Vote.objects.create(post=post, user=user)
    except IntegrityError:
        return False
    Post.objects.filter(pk=post.pk).update(vote_count=F("vote_count") + 1)
    return True


@transaction.atomic
def withdraw_vote(*, user, post: Post) -> bool:
    deleted, _ = Vote.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk, vote_count__gt=0).update(vote_count=F("vote_count") - 1)
    return bool(deleted)


@transaction.atomic
def mark_answer(*, user, post: Post) -> Topic:
    """Mark ``post`` as the answer of its topic (replacing an earlier one); author or staff."""
    post = _votable(post.pk)
    topic = Topic.objects.select_for_update().get(pk=post.topic_id)
    if not rules.may_mark_answer(user, topic):
        raise CommunityError(
            "community.not_author", "Only the person who asked, or staff, can mark the answer."
        )
    Topic.objects.filter(pk=topic.pk).update(answer=post)
    topic.answer = post
    return topic


@transaction.atomic
def unmark_answer(*, user, topic: Topic) -> None:
    if not rules.may_mark_answer(user, topic):
        raise CommunityError(
            "community.not_author", "Only the person who asked, or staff, can change the answer."
        )
    Topic.objects.filter(pk=topic.pk).update(answer=None)


# --- Reports and follows ------------------------------------------------------------------------------


@transaction.atomic
def report_post(*, user, post: Post, reason: str) -> Report:
    """Tell the moderators about a post; a second report by the same person changes nothing."""
    if not user.is_authenticated:
        raise CommunityError("community.sign_in", "Sign in to report a post.")
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise CommunityError("community.no_reason", "Say in a few words what is wrong with the post.")
    report, _ = Report.objects.get_or_create(post=post, reporter=user, defaults={"reason": reason})
    return report


@transaction.atomic
def follow(*, user, topic: Topic | None = None, category: Category | None = None) -> Follow:
    """Follow a topic or a category (idempotent): email about posts published from now on."""
    if not user.is_authenticated:
        raise CommunityError("community.sign_in", "Sign in to follow topics.")
    target = {"topic": topic} if topic is not None else {"category": category}
    try:
        with transaction.atomic():
            return Follow.objects.get_or_create(user=user, **target)[0]
    except IntegrityError:  # the same click in two tabs
        return Follow.objects.get(user=user, **target)


def unfollow(*, user, topic: Topic | None = None, category: Category | None = None) -> int:
    target = {"topic": topic} if topic is not None else {"category": category}
    return Follow.objects.filter(user=user, **target).delete()[0]


# --- Moderation (the admin calls these) -------------------------------------------------------------


@transaction.atomic
def approve_post(*, post: Post) -> Post:
    """Publish a held post; its author is trusted from now on (no more review)."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status != Post.Status.HELD:
        return post
    _publish(post)
    if post.author_id:
        Profile.objects.filter(user_id=post.author_id, trusted_at__isnull=True).update(
            trusted_at=timezone.now()
        )
    return post


def _publish(post: Post) -> None:
    now = timezone.now()
    post.status, post.moderation_reason = Post.Status.VISIBLE, ""
    post.published_at = post.published_at or now
    post.save(update_fields=["status", "moderation_reason", "published_at"])
    if post.is_opening:
        Topic.objects.filter(pk=post.topic_id, merged_into__isnull=True).update(is_listed=True)
    else:
        Topic.objects.filter(pk=post.topic_id).update(reply_count=F("reply_count") + 1, last_activity_at=now)


@transaction.atomic
def hide_post(*, post: Post, reason: str) -> Post:
    """Hide a post from readers; its author sees it with ``reason``. Open reports are resolved."""
    reason = " ".join(reason.split())
    if not reason:
        raise CommunityError("community.no_reason", "Give the reason the author will see.")
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status == Post.Status.REMOVED:
        raise CommunityError("community.removed", "The author removed this post already.")
    _unlist(post)
    post.status, post.moderation_reason = Post.Status.HIDDEN, reason[:300]
    post.save(update_fields=["status", "moderation_reason"])
    if post.is_opening:
        Topic.objects.filter(pk=post.topic_id).update(is_listed=False)
    Report.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return post


@transaction.atomic
def restore_post(*, post: Post) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status == Post.Status.HIDDEN:
        _publish(post)
    return post


def resolve_reports(*, post: Post) -> int:
    """The post is fine: close its open reports."""
    return Report.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=timezone.now())


@transaction.atomic
def merge_topics(*, source: Topic, target: Topic) -> Topic:
    """Move every post of ``source`` into ``target``; ``source`` then points readers there."""
    if source.pk == target.pk:
        raise CommunityError("community.same_topic", "Choose another topic to merge into.")
    if target.merged_into_id is not None:
        raise CommunityError("community.merged", "That topic was itself merged; merge into its new home.")
    locked = {t.pk: t for t in Topic.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    moved = Post.objects.filter(topic=source)
    # The source's opening post becomes a reply in the target.
    moved.filter(is_opening=True).update(is_opening=False)
    visible = moved.filter(status=Post.Status.VISIBLE).count()
    moved.update(topic=target)
    Follow.objects.filter(topic=source).exclude(
        user__in=Follow.objects.filter(topic=target).values("user")
    ).update(topic=target)
    Topic.objects.filter(pk=target.pk).update(
        reply_count=F("reply_count") + visible,
        last_activity_at=max(locked[source.pk].last_activity_at, locked[target.pk].last_activity_at),
    )
    Topic.objects.filter(pk=source.pk).update(merged_into=target, is_listed=False, reply_count=0, answer=None)
    return Topic.objects.get(pk=target.pk)


@transaction.atomic
def suspend(*, profile: Profile, until: datetime, reason: str) -> Profile:
    """No posting until ``until``; the person sees ``reason``. Licenses and support are untouched."""
    reason = " ".join(reason.split())
    if not reason:
        raise CommunityError("community.no_reason", "Give the reason the person will see.")
    profile.suspended_until, profile.suspension_reason = until, reason[:300]
    profile.save(update_fields=["suspended_until", "suspension_reason"])
    return profile
