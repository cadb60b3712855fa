"""The community: categories, topics and their posts, votes, follows, reports and display names.

A topic's opening post and its replies are all ``Post`` rows, so that editing, removing,
moderating, reporting and searching work the same way for both. Counters that every list
shows (replies, votes) are kept on the rows and changed with conditional ``update()`` calls
in ``community/services.py``, so a page never counts.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

FORMER_MEMBER = "Former member"


class Category(models.Model):
    """A section of the community that staff define (Installation, Cameras and devices ...)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:category", args=[self.slug])


class Profile(models.Model):
    """A person's public face in the community: the display name, and moderation standing.

    Created on the first post (or when the person chooses a name). The email address is
    never shown; the display name is unique whatever its case.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_profile"
    )
    display_name = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now)
    trusted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a moderator approved a post: from then on posts appear without review.",
    )
    suspended_until = models.DateTimeField(
        null=True, blank=True, help_text="No posting until then. Licenses and support stay available."
    )
    suspension_reason = models.CharField(
        max_length=300, blank=True, help_text="Shown to the person while the suspension lasts."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("display_name"), name="community_display_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def is_suspended(self, now=None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or timezone.now())


class DisplayNameChange(models.Model):
    """An earlier display name, kept so that moderators can follow a person across renames."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="name_changes")
    old_name = models.CharField(max_length=30)
    new_name = models.CharField(max_length=30)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.old_name} → {self.new_name}"


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(max_length=150)
    # The product version the question is about, from the published releases.
    release = models.ForeignKey(
        "licensing.Release", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Listed while its opening post is visible or removed by its author (the replies stay
    # readable); not while it waits for review, is hidden or was merged into another topic.
    is_listed = models.BooleanField(default=True)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False, help_text="No new replies.")
    answer = models.ForeignKey("Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reply_count = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["category", "-is_pinned", "-last_activity_at"],
                condition=Q(is_listed=True),
                name="community_topic_listing",
            ),
            models.Index(
                fields=["-last_activity_at"], condition=Q(is_listed=True), name="community_topic_recent"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:topic", args=[self.pk, self.slug])

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "topic"


class Post(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden by a moderator"
        REMOVED = "removed", "Removed by its author"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_opening = models.BooleanField(default=False, editable=False)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    moderation_reason = models.CharField(
        max_length=300, blank=True, help_text="Shown to the author when a post is hidden."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When it became visible: follow notices go out for posts published since the last one.
    published_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(default=0)
    # Title (weight A) and body (weight B), written by the services on PostgreSQL.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["topic", "created_at"], name="community_post_thread"),
            models.Index(fields=["published_at"], name="community_post_published"),
            models.Index(fields=["created_at"], condition=Q(status="held"), name="community_post_held"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["topic"], condition=Q(is_opening=True), name="community_one_opening_post"
            ),
        ]

    def __str__(self) -> str:
        return f"{'Question' if self.is_opening else 'Reply'} #{self.pk}"

    def get_absolute_url(self) -> str:
        return f"{self.topic.get_absolute_url()}#post-{self.pk}"


class PostRevision(models.Model):
    """The text of a post before an edit. Moderators see the whole history; readers see "edited"."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at"]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id} replaced {self.replaced_at:%Y-%m-%d %H:%M}"


class Vote(models.Model):
    """One person's vote for a reply: the unique constraint makes a second one impossible."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="community_one_vote")]

    def __str__(self) -> str:
        return f"Vote for post {self.post_id}"


class Follow(models.Model):
    """A person follows a topic or a whole category and gets (optional) email about new posts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Posts published up to this moment were notified (or predate the follow).
    notified_until = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(topic__isnull=True) ^ Q(category__isnull=True), name="community_follow_one_target"
            ),
            models.UniqueConstraint(
                fields=["user", "topic"], condition=Q(topic__isnull=False), name="community_follow_topic_once"
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=Q(category__isnull=False),
                name="community_follow_category_once",
            ),
        ]
        indexes = [models.Index(fields=["notified_until"], name="community_follow_due")]

    def __str__(self) -> str:
        return f"Follow of {self.topic or self.category}"

    @property
    def target(self) -> Topic | Category:
        return self.topic or self.category  # type: ignore[return-value]


class Report(models.Model):
    """A member's report of a post to the moderators; one per person and post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="community_report_once")]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(resolved_at__isnull=True), name="community_open_reports"
            )
        ]

    def __str__(self) -> str:
        return f"Report of post {self.post_id}"
