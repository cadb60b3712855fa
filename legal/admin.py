"""Staff admin for policies: drafts, preview, publishing and the records of acceptance.

A released version opens read-only: the admin offers no way to change or delete it.
Publishing is a separate permission (``legal.publish_policyversion``).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from kalytera.admin_site import RecordAdmin
from legal import services
from legal.forms import PublishForm
from legal.models import Acceptance, ChangeNotice, Policy, PolicyVersion
from legal.views import policy_page_context

PUBLISH_PERMISSION = "legal.publish_policyversion"


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "requires_acceptance", "version_in_force")
    readonly_fields = ("name", "slug", "requires_acceptance", "order")

    @admin.display(description="In force")
    def version_in_force(self, obj: Policy) -> str:
        version = obj.version_in_force()
        if version is None:
            return "Nothing published"
        return f"Version {version.number} since {version.effective_at:%Y-%m-%d}"

    # The policies and their URLs are fixed; only their versions change.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    # Drafts have no number yet: when each was started and last changed tells them apart.
    list_display = ("policy", "number", "status", "effective_at", "started", "changed")  # material: a filter
    list_filter = ("policy", "status", "material")
    search_fields = ("title", "summary")
    ordering = ("policy", "-number", "-created_at")
    fields = ("policy", "title", "summary", "material", "body")
    released_fields = (
        "policy",
        "number",
        "title",
        "status",
        "effective_at",
        "published_at",
        "published_by",
        "material",
        "summary",
        "body",
        "acceptances_link",
        "notices_link",
        "notices_completed_at",
    )
    list_select_related = ("policy", "published_by")
    change_form_template = "admin/legal/policyversion/change_form.html"
    change_list_template = "admin/legal/policyversion/change_list.html"

    @admin.display(description="Accepted by")
    def acceptances_link(self, obj: PolicyVersion) -> str:
        url = reverse("admin:legal_acceptance_changelist")
        count = obj.acceptances.count()
        people = "1 person" if count == 1 else f"{count} people"
        return format_html('<a href="{}?version__id__exact={}">{}</a>', url, obj.pk, people)

    @admin.display(description="Notices of this change")
    def notices_link(self, obj: PolicyVersion) -> str:
        url = reverse("admin:legal_changenotice_changelist")
        count = obj.notices.count()
        return format_html('<a href="{}?version__id__exact={}">{} queued</a>', url, obj.pk, count)

    def view_on_site(self, obj: PolicyVersion) -> str | None:
        return None if obj.is_draft else obj.get_absolute_url()

    def get_fields(self, request: HttpRequest, obj=None):
        return self.released_fields if obj is not None and not obj.is_draft else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and not obj.is_draft:
            return self.released_fields
        if obj is not None:
            return ("policy",)  # a draft belongs to one policy; start another for another policy
        return ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False  # published: view only; corrections are new versions
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location=admin.ActionLocation.CHANGE_LIST):
        # The bulk delete would also reach released versions; drafts are deleted one at a time.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Started", ordering="created_at")
    def started(self, version: PolicyVersion):
        return version.created_at

    @admin.display(description="Last changed", ordering="updated_at")
    def changed(self, version: PolicyVersion):
        return version.updated_at

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/preview/", view(self.preview_view), name="legal_version_preview"),
            path("<int:pk>/publish/", view(self.publish_view), name="legal_version_publish"),
            path("<int:pk>/withdraw/", view(self.withdraw_view), name="legal_version_withdraw"),
            path("start/<slug:slug>/", view(self.start_draft_view), name="legal_version_start"),
        ]
        return own + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = request.user.has_perm(PUBLISH_PERMISSION)
        context["policies"] = Policy.objects.all()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra = {"policies": Policy.objects.all(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The public page template, filled with this version, exactly as readers will see it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=pk)
        if not version.is_draft:
            return redirect(version.get_absolute_url())
        return TemplateResponse(request, "legal/policy.html", policy_page_context(version, preview=True))

    def start_draft_view(self, request: HttpRequest, slug: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if not self.has_add_permission(request):
            raise PermissionDenied
        policy = get_object_or_404(Policy, slug=slug)
        draft = services.start_draft(policy=policy)
        self.log_addition(request, draft, [{"added": {}}])
        messages.success(request, f"A draft of the {policy.name}, with the text of the newest version.")
        return redirect("admin:legal_policyversion_change", draft.pk)

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=pk)
        if not version.is_draft:
            raise Http404("Only drafts can be published.")
        form = PublishForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                published = services.publish_version(
                    version=version, by=request.user, effective_at=form.cleaned_data["effective_at"]
                )
            except services.LegalError as error:
                form.add_error(None, error.message)
            else:
                self.log_change(request, published, f"Released as version {published.number}.")
                if published.effective_at and published.effective_at > timezone.now():
                    when = f"{published.effective_at:%Y-%m-%d %H:%M} UTC"
                    text = f"Version {published.number} is scheduled to take effect on {when}."
                else:
                    text = f"Version {published.number} is published and in force."
                messages.success(request, text)
                return redirect("admin:legal_policyversion_change", published.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Publish {version}",
            "opts": self.opts,
            "original": version,
            "form": form,
            "preview_url": reverse("admin:legal_version_preview", args=[version.pk]),
            "latest": version.policy.versions.released().order_by("-number").first(),
        }
        return TemplateResponse(
            request, "admin/legal/policyversion/publish.html", context, status=400 if form.errors else 200
        )

    def withdraw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        version = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=pk)
        if version.status != PolicyVersion.Status.SCHEDULED:
            raise Http404("Only scheduled versions can be withdrawn.")
        error = ""
        if request.method == "POST":
            number = version.number
            try:
                draft = services.withdraw_version(version=version, by=request.user)
            except services.LegalError as refused:
                error = refused.message
            else:
                self.log_change(request, draft, f"Withdrawn before taking effect as version {number}.")
                messages.success(request, f"Version {number} is withdrawn; it is a draft again.")
                return redirect("admin:legal_policyversion_change", draft.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Withdraw {version}",
            "opts": self.opts,
            "original": version,
            "error": error,
        }
        return TemplateResponse(
            request, "admin/legal/policyversion/withdraw.html", context, status=400 if error else 200
        )


@admin.register(Acceptance)
class AcceptanceAdmin(RecordAdmin):
    list_display = ("user", "policy", "version_number", "source", "accepted_at")
    list_filter = ("version__policy", "version", "source")
    search_fields = ("user__email",)
    list_select_related = ("user", "version__policy")
    date_hierarchy = "accepted_at"

    @admin.display(description="Policy", ordering="version__policy")
    def policy(self, obj: Acceptance) -> str:
        return obj.version.policy.name

    @admin.display(description="Version", ordering="version__number")
    def version_number(self, obj: Acceptance) -> int | None:
        return obj.version.number


@admin.register(ChangeNotice)
class ChangeNoticeAdmin(RecordAdmin):
    list_display = ("email_address", "version", "queued_at", "email_status", "dismissed_at")
    list_filter = ("version__policy", "version")
    search_fields = ("email_address",)
    list_select_related = ("version__policy", "email")

    @admin.display(description="Email")
    def email_status(self, obj: ChangeNotice) -> str:
        return obj.email.get_status_display() if obj.email else "Outbox record purged"
