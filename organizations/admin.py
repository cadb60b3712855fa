"""Staff view of organizations and their members (invitations and transfers come with their own tools)."""

from django.contrib import admin

from organizations.models import ApiToken, IntegratorGrant, Invitation, Membership, Organization


class MembershipInline(admin.StackedInline):  # stacked: each field has its label (a table does not)
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    ordering = ("user__email",)


class IntegratorGrantInline(admin.StackedInline):
    """The integrators an organization gave access to, as its owners see them: read only here."""

    model = IntegratorGrant
    fk_name = "customer"
    extra = 0
    verbose_name = "integrator grant given"
    verbose_name_plural = "integrator grants given"
    fields = (
        "integrator", "email", "scope", "all_licenses", "send_reminders",
        "created_by", "created_at", "expires_at", "accepted_by", "accepted_at", "revoked_by", "revoked_at",
    )  # fmt: skip
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # an owner invites; the integrator accepts with their verified address

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history of the licenses refers to it


class ReadOnlyInline(admin.StackedInline):
    """Shown to staff, changed only by the organization's owners on their page."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ("email", "role", "status", "invited_by", "created_at", "expires_at", "closed_at")
    readonly_fields = fields
    ordering = ("-created_at",)


class ApiTokenInline(ReadOnlyInline):
    model = ApiToken
    verbose_name = "API token"
    fields = ("name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    ordering = ("-created_at",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "personal_for", "created_at")
    list_select_related = ("personal_for",)
    search_fields = ("name", "=memberships__user__email")
    search_help_text = "An organization's name, or a member's exact email."
    fields = ("name", "public_id", "personal_for", "created_at")
    readonly_fields = ("public_id", "personal_for", "created_at")
    inlines = [MembershipInline, IntegratorGrantInline, InvitationInline, ApiTokenInline]
    ordering = ("-created_at",)
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an organization holds licenses that sites run on
