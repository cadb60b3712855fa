"""Staff admin for Security staff: drafting, previewing and publishing advisories; importing CSAF;
composing, previewing and sending incident notices.

Published revisions and sent notices open read-only. Publishing and sending are separate
permissions (``advisories.publish_advisoryrevision``, ``advisories.send_incidentnotice``).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.models import User
from advisories import csaf_import, incidents, services
from advisories.forms import ImportForm, IncidentForm, RevisionForm
from advisories.models import Advisory, AdvisoryNotice, AdvisoryRevision, IncidentDelivery, IncidentNotice
from advisories.views import revision_page_context
from kalytera.admin_site import RecordAdmin
from kalytera.errors import DomainError
from outbox.services import render_email

PUBLISH_PERMISSION = "advisories.publish_advisoryrevision"
SEND_PERMISSION = "advisories.send_incidentnotice"


def _action_context(admin_: admin.ModelAdmin, request: HttpRequest, title: str, original, **extra) -> dict:
    return {
        **admin_.admin_site.each_context(request),
        "title": title,
        "opts": admin_.opts,
        "original": original,
        **extra,
    }


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    list_display = ("identifier", "title", "severity", "first_published_at")
    list_select_related = ("current",)
    search_fields = ("identifier", "revisions__title")
    change_form_template = "admin/advisories/advisory/change_form.html"
    change_list_template = "admin/advisories/advisory/change_list.html"

    @admin.display(description="Title")
    def title(self, advisory: Advisory) -> str:
        return advisory.current.title if advisory.current else "(not published)"

    @admin.display(description="Severity")
    def severity(self, advisory: Advisory) -> str:
        revision = advisory.current
        return f"{revision.get_severity_display()} {revision.base_score}" if revision else "—"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ("identifier", "product", "revision_list") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj=None):
        return ("identifier", "product", "revision_list") if obj is not None else ("identifier", "product")

    @admin.display(description="Revisions")
    def revision_list(self, advisory: Advisory) -> str:
        rows = [
            (
                reverse("admin:advisories_advisoryrevision_change", args=[revision.pk]),
                f"Revision {revision.number}" if revision.number else "Draft",
                revision.change_summary or revision.title,
            )
            for revision in advisory.revisions.order_by("number", "pk")
        ]
        return format_html_join("", '<p><a href="{}">{}</a>: {}</p>', rows) or "None yet"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is not None and obj.current_id is None and super().has_delete_permission(request, obj)

    def response_add(self, request: HttpRequest, obj: Advisory, post_url_continue=None) -> HttpResponse:
        messages.success(request, f"{obj} is created. Write its first revision.")
        return redirect(f"{reverse('admin:advisories_advisoryrevision_add')}?advisory={obj.pk}")

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/revise/", view(self.revise_view), name="advisories_advisory_revise"),
            path("import/", view(self.import_view), name="advisories_advisory_import"),
        ]
        return own + super().get_urls()

    def revise_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        if not request.user.has_perm("advisories.add_advisoryrevision"):
            raise PermissionDenied
        advisory = get_object_or_404(Advisory, pk=pk)
        try:
            draft = services.start_revision(advisory=advisory)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("admin:advisories_advisory_change", advisory.pk)
        return redirect("admin:advisories_advisoryrevision_change", draft.pk)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("advisories.add_advisory"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            publish = form.cleaned_data["publish"]
            if publish and not request.user.has_perm(PUBLISH_PERMISSION):
                raise PermissionDenied
            try:
                revision = csaf_import.import_document(
                    content=form.cleaned_data["document"].read(),
                    by=request.user,
                    product=form.cleaned_data["product"],
                    publish=publish,
                )
            except DomainError as error:
                form.add_error("document", error.message)
            else:
                state = f"published as revision {revision.number}" if publish else "imported as a draft"
                messages.success(request, f"{revision.advisory} {state}.")
                return redirect("admin:advisories_advisoryrevision_change", revision.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a CSAF 2.0 advisory",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/advisories/advisory/import.html", context, status=400 if form.errors else 200
        )


@admin.register(AdvisoryRevision)
class AdvisoryRevisionAdmin(admin.ModelAdmin):
    form = RevisionForm
    list_display = (
        "__str__",
        "title",
        "severity",
        "base_score",
        "published_at",
        "notifies",
        "notices_completed_at",
    )
    list_filter = ("severity", "notifies")
    list_select_related = ("advisory",)
    search_fields = ("advisory__identifier", "title")
    change_form_template = "admin/advisories/advisoryrevision/change_form.html"
    published_fields = (
        "advisory",
        "number",
        "title",
        "summary",
        "cve_ids",
        "cvss_vector",
        "base_score",
        "severity",
        "affected_ranges",
        "fixed_versions",
        "workarounds",
        "acknowledgements",
        "change_summary",
        "published_at",
        "published_by",
        "notifies",
        "notices",
        "notices_completed_at",
    )

    @admin.display(description="Notices")
    def notices(self, revision: AdvisoryRevision) -> str:
        url = reverse("admin:advisories_advisorynotice_changelist")
        return format_html(
            '<a href="{}?revision__id__exact={}">{} queued</a>', url, revision.pk, revision.notices.count()
        )

    def get_fields(self, request: HttpRequest, obj=None):
        return (
            self.published_fields
            if obj is not None and not obj.is_draft
            else super().get_fields(request, obj)
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and not obj.is_draft:
            return self.published_fields
        return ("advisory",) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False  # published revisions are never edited: a change is a new revision
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/preview/", view(self.preview_view), name="advisories_revision_preview"),
            path("<int:pk>/publish/", view(self.publish_view), name="advisories_revision_publish"),
        ]
        return own + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_publish"] = request.user.has_perm(PUBLISH_PERMISSION)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The public page, filled with this draft, exactly as readers will see it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        revision = get_object_or_404(AdvisoryRevision.objects.select_related("advisory__product"), pk=pk)
        return TemplateResponse(
            request, "advisories/detail.html", revision_page_context(revision, preview=True)
        )

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        revision = get_object_or_404(AdvisoryRevision.objects.select_related("advisory__product"), pk=pk)
        if not revision.is_draft:
            raise Http404("Only drafts can be published.")
        error = ""
        if request.method == "POST":
            try:
                published = services.publish_revision(revision=revision, by=request.user)
            except DomainError as refused:
                error = refused.message
            else:
                self.log_change(request, published, f"Published as revision {published.number}.")
                told = (
                    "Affected customers are emailed by the next notice run."
                    if published.notifies
                    else ("It neither raises the severity nor affects more versions, so nobody is emailed.")
                )
                messages.success(request, f"{published} is published. {told}")
                return redirect("admin:advisories_advisoryrevision_change", published.pk)
        previous = revision.advisory.current
        context = _action_context(
            self,
            request,
            f"Publish {revision.advisory}",
            revision,
            previous=previous,
            error=error,
            preview_url=reverse("admin:advisories_revision_preview", args=[revision.pk]),
        )
        return TemplateResponse(
            request, "admin/advisories/advisoryrevision/publish.html", context, status=400 if error else 200
        )


@admin.register(AdvisoryNotice)
class AdvisoryNoticeAdmin(RecordAdmin):
    list_display = ("email_address", "revision", "machines", "queued_at")
    list_filter = ("revision",)
    list_select_related = ("revision__advisory",)
    search_fields = ("email_address",)


@admin.register(IncidentNotice)
class IncidentNoticeAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = (
        "title",
        "audience",
        "created_by",
        "sent_at",
        "sent_by",
        "recipient_count",
        "completed_at",
    )
    list_select_related = ("created_by", "sent_by")
    change_form_template = "admin/advisories/incidentnotice/change_form.html"
    sent_fields = (
        "title",
        "what_happened",
        "what_data",
        "what_to_do",
        "audience",
        "created_by",
        "created_at",
        "sent_by",
        "sent_at",
        "recipient_count",
        "completed_at",
    )

    def get_fields(self, request: HttpRequest, obj=None):
        return self.sent_fields if obj is not None and obj.is_sent else super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.sent_fields if obj is not None and obj.is_sent else ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_sent:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_sent:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: IncidentNotice, form, change: bool) -> None:
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_send"] = request.user.has_perm(SEND_PERMISSION)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [path("<int:pk>/send/", view(self.send_view), name="advisories_incident_send")]
        return own + super().get_urls()

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Preview (the email as people receive it, and how many) and the one confirmed send."""
        if not request.user.has_perm(SEND_PERMISSION):
            raise PermissionDenied
        incident = get_object_or_404(IncidentNotice, pk=pk)
        error = ""
        if request.method == "POST":
            if request.POST.get("confirm") != "yes":
                error = "Tick the confirmation to send the notice."
            else:
                try:
                    sent = incidents.send_incident(incident=incident, by=request.user)
                except DomainError as refused:
                    error = refused.message
                else:
                    self.log_change(request, sent, f"Sent to {sent.recipient_count} people.")
                    messages.success(
                        request,
                        f"The notice goes to {sent.recipient_count} people; emails are queued in batches.",
                    )
                    return HttpResponseRedirect(
                        reverse("admin:advisories_incidentnotice_change", args=[sent.pk])
                    )
        count = 0
        if not incident.is_sent and not error:
            try:
                count = len(incidents.audience(incident))
            except DomainError as refused:
                error = refused.message
        subject, text, _html = render_email("incident_notice", {"incident": incident})
        context = _action_context(
            self,
            request,
            f"Send “{incident}”",
            incident,
            error=error,
            count=count,
            subject=subject,
            text=text,
        )
        return TemplateResponse(
            request, "admin/advisories/incidentnotice/send.html", context, status=400 if error else 200
        )


@admin.register(IncidentDelivery)
class IncidentDeliveryAdmin(RecordAdmin):
    list_display = ("email_address", "incident", "queued_at")
    list_filter = ("incident",)
    list_select_related = ("incident",)
    search_fields = ("email_address",)
