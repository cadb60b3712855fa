from allauth.account.models import EmailAddress
from allauth.mfa import admin as mfa_admin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import DeletionRecord, DeletionRequest, PrivacyChoices, User
from kalytera.admin_site import RecordAdmin


class PrivacyChoicesInline(admin.StackedInline):
    """Shows staff whether the person restricted processing or declined optional email."""

    model = PrivacyChoices
    extra = 0
    fields = ("restricted_at", "objected_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # only the person sets these, from the privacy center


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    extra = 0
    fields = ("email", "verified", "primary")
    readonly_fields = ("email", "verified", "primary")
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "company", "is_staff", "is_active", "processing_restricted", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "company")
    show_full_result_count = False
    readonly_fields = ("date_joined", "last_login", "age_confirmed_at")
    inlines = [EmailAddressInline, PrivacyChoicesInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("company", "phone", "age_confirmed_at")}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(boolean=True, description="Restricted")
    def processing_restricted(self, obj: User) -> bool:
        choices = getattr(obj, "privacy_choices", None)
        return choices is not None and choices.restricted_at is not None

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("privacy_choices")

    def get_readonly_fields(self, request, obj=None):
        # A person who restricted processing is the only one who may change their account.
        if obj is not None and self.processing_restricted(obj):
            return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self.processing_restricted(obj):
            return False  # the person deletes it themselves, from the privacy center
        return super().has_delete_permission(request, obj)


@admin.register(DeletionRequest)
class DeletionRequestAdmin(RecordAdmin):
    """Pending deletions. Only the person can cancel one (by signing in during the grace period)."""

    list_display = ("user", "requested_at", "purge_after")
    ordering = ("purge_after",)
    list_select_related = ("user",)


@admin.register(DeletionRecord)
class DeletionRecordAdmin(RecordAdmin):
    """Completed deletions: no personal data, and nothing to undo."""

    list_display = ("purged_on", "requested_on", "subject_digest")
    ordering = ("-purged_on",)
    fields = ("requested_on", "purged_on", "subject_digest", "email_digest")


# allauth's own admin shows ``data``: sealed secrets, of no use to staff. Imported above, so
# it has registered already and autodiscovery will not register it again.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(mfa_admin.AuthenticatorAdmin):
    exclude = ("data",)
