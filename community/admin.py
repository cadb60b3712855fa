"""The Community group's desk: the moderation queue (held and reported posts), topics, members.

Moderation goes through ``community/services.py``: hiding needs a reason the author sees,
approving a held post trusts its author, merging moves a topic's posts. Bodies are shown
as text; the history of every edit is listed under the post.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.defaultfilters import linebreaks_filter
from django.utils import timezone
from django.utils.html import format_html

from community import services
from community.models import Category, DisplayNameChange, Post, PostRevision, Profile, Report, Topic
from community.services import CommunityError

# The community's own addresses come before the categories' (community/urls.py).
RESERVED_SLUGS = {"search", "t", "unsubscribe", "write"}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "description", "position"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError("This address is taken by the community's own pages; choose another.")
        return slug


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ("name",)}


class RevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    can_delete = False
    fields = readonly_fields = ("replaced_at", "title", "body")
    verbose_name_plural = "Earlier versions (before each edit)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "reason", "resolved_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("review", "Needs review (held or reported)"),
            ("held", "Held for review"),
            ("reported", "Reported"),
        ]

    def queryset(self, request, queryset):
        reported = Q(reports__resolved_at__isnull=True, reports__isnull=False)
        if self.value() == "review":
            return queryset.filter(Q(status=Post.Status.HELD) | reported).distinct()
        if self.value() == "held":
            return queryset.filter(status=Post.Status.HELD)
        if self.value() == "reported":
            return queryset.filter(reported).distinct()
        return queryset


class PostModerationForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["status", "moderation_reason"]

    def clean(self):
        data = super().clean() or {}
        if data.get("status") == Post.Status.HIDDEN and not data.get("moderation_reason", "").strip():
            self.add_error("moderation_reason", "Give the reason the author will see.")
        if data.get("status") == Post.Status.REMOVED and self.instance.status != Post.Status.REMOVED:
            self.add_error("status", "Only the author removes a post; hide it instead.")
        return data


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """The moderation queue: open it with the "Needs review" filter."""

    form = PostModerationForm
    list_display = ["__str__", "topic_title", "author_name", "status", "open_reports", "created_at"]
    list_filter = [QueueFilter, "status", "topic__category"]
    search_fields = ["body", "topic__title"]
    ordering = ["-created_at"]
    readonly_fields = ["topic_link", "author_name", "created_at", "edited_at", "body_text"]
    fields = [
        "topic_link",
        "author_name",
        "created_at",
        "edited_at",
        "body_text",
        "status",
        "moderation_reason",
    ]
    inlines = [ReportInline, RevisionInline]
    actions = ["approve", "restore", "dismiss_reports"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("topic", "author__community_profile")
            .annotate(report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True)))
        )

    @admin.display(description="Topic")
    def topic_title(self, post: Post) -> str:
        return post.topic.title

    @admin.display(description="Topic")
    def topic_link(self, post: Post) -> str:
        return format_html('<a href="{}">{}</a>', post.get_absolute_url(), post.topic.title)

    @admin.display(description="Author")
    def author_name(self, post: Post) -> str:
        profile = getattr(post.author, "community_profile", None) if post.author else None
        return profile.display_name if profile else "Former member"

    @admin.display(description="Open reports")
    def open_reports(self, post: Post) -> int:
        return post.report_count  # type: ignore[attr-defined]

    @admin.display(description="Text")
    def body_text(self, post: Post) -> str:
        return format_html('<div class="community-post-source">{}</div>', linebreaks_filter(post.body))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Post, form, change) -> None:
        before = Post.objects.get(pk=obj.pk).status
        reason = form.cleaned_data.get("moderation_reason", "")
        if obj.status == Post.Status.HIDDEN:
            services.hide_post(post=obj, reason=reason)
        elif obj.status == Post.Status.VISIBLE and before == Post.Status.HELD:
            services.approve_post(post=obj)
        elif obj.status == Post.Status.VISIBLE and before == Post.Status.HIDDEN:
            services.restore_post(post=obj)
        elif obj.status != before:
            messages.warning(request, "That change is not possible here; nothing was changed.")

    @admin.action(description="Approve the selected held posts", permissions=["change"])
    def approve(self, request, queryset) -> None:
        for post in queryset.filter(status=Post.Status.HELD):
            services.approve_post(post=post)
        messages.success(request, "The held posts among the selection are published.")

    @admin.action(description="Restore the selected hidden posts", permissions=["change"])
    def restore(self, request, queryset) -> None:
        for post in queryset.filter(status=Post.Status.HIDDEN):
            services.restore_post(post=post)
        messages.success(request, "The hidden posts among the selection are visible again.")

    @admin.action(
        description="Dismiss the reports of the selected posts (they are fine)", permissions=["change"]
    )
    def dismiss_reports(self, request, queryset) -> None:
        for post in queryset:
            services.resolve_reports(post=post)


class TopicAdminForm(forms.ModelForm):
    merge_into = forms.ModelChoiceField(
        queryset=Topic.objects.filter(is_listed=True),
        required=False,
        help_text="A duplicate: its posts move to the chosen topic, and its address leads there.",
    )

    class Meta:
        model = Topic
        fields = ["title", "category", "release", "is_pinned", "is_locked"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicAdminForm
    list_display = [
        "title",
        "category",
        "reply_count",
        "is_pinned",
        "is_locked",
        "is_listed",
        "last_activity_at",
    ]
    list_filter = ["category", "is_pinned", "is_locked", "is_listed"]
    search_fields = ["title"]
    list_select_related = ["category"]
    raw_id_fields = ["release"]
    ordering = ["-last_activity_at"]

    def get_fields(self, request, obj=None):
        return ["title", "category", "release", "is_pinned", "is_locked", "merge_into"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Topic, form, change) -> None:
        super().save_model(request, obj, form, change)
        target = form.cleaned_data.get("merge_into")
        if target is not None:
            try:
                services.merge_topics(source=obj, target=target)
            except CommunityError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Merged into “{target.title}”.")


class NameChangeInline(admin.TabularInline):
    model = DisplayNameChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ("changed_at", "old_name", "new_name")
    verbose_name_plural = "Earlier display names"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ProfileAdminForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["suspended_until", "suspension_reason"]

    def clean(self):
        data = super().clean() or {}
        until = data.get("suspended_until")
        if until and until > timezone.now() and not data.get("suspension_reason", "").strip():
            self.add_error("suspension_reason", "Give the reason the person will see.")
        return data


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Members by display name. A suspension stops posting only: licenses and support stay."""

    form = ProfileAdminForm
    list_display = ["display_name", "created_at", "trusted_at", "suspended_until"]
    search_fields = ["display_name", "name_changes__old_name"]
    readonly_fields = ["display_name", "created_at", "trusted_at"]
    fields = ["display_name", "created_at", "trusted_at", "suspended_until", "suspension_reason"]
    inlines = [NameChangeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Profile, form, change) -> None:
        until = form.cleaned_data.get("suspended_until")
        if until and until > timezone.now():
            services.suspend(profile=obj, until=until, reason=form.cleaned_data.get("suspension_reason", ""))
        else:  # lifted, or a date in the past
            super().save_model(request, obj, form, change)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reason", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    fields = readonly_fields = ("post", "reason", "created_at", "resolved_at")

    def has_add_permission(self, request) -> bool:
        return False
