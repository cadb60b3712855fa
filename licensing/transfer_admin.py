"""Staff tools for transfers: move licenses to another organization with a reason; the record of transfers.

The move itself is ``licensing.services.transfers.transfer_by_staff``: it locks the license,
withdraws pending offers of it, writes both sides' history with the staff member and the
reason, and tells both organizations. Who may do it follows the admin's permissions: a
license's change permission (the Licensing group has it).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from kalytera.text import CharacterValidator
from licensing.models import License, LicenseTransfer
from licensing.services import Actor, LicensingError
from licensing.services.transfers import transfer_by_staff
from organizations.models import Organization


class StaffTransferForm(forms.Form):
    """Where the licenses go, and why: both organizations read the reason."""

    organization = forms.ModelChoiceField(
        label="Receiving organization",
        queryset=Organization.objects.all(),
        help_text="The organization's number: use the magnifier to search by name or a member's email.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        validators=[CharacterValidator(multiline=True)],
        help_text="Recorded in the licenses' history and emailed to both organizations: write it for them.",
    )
    confirm = forms.BooleanField(
        label="Yes, move the licenses with their machines and tell both organizations"
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        relation = LicenseTransfer._meta.get_field("to_organization").remote_field
        self.fields["organization"].widget = ForeignKeyRawIdWidget(relation, admin_site)


class StaffTransferMixin:
    """The "Transfer…" button of a license and the action on selected licenses, for ``LicenseAdmin``."""

    admin_site: admin.AdminSite
    model: type[License]

    def transfer_urls(self) -> list:
        view = self.admin_site.admin_view(self.transfer_view)
        return [path("<int:license_id>/transfer/", view, name="licensing_license_transfer")]

    def transfer_view(self, request: HttpRequest, license_id: int) -> HttpResponse:
        license = get_object_or_404(License, pk=license_id)
        if not self.has_change_permission(request, license):  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("admin:index"))
        done = self._transfer(request, License.objects.filter(pk=license.pk))
        return done or redirect("admin:licensing_license_change", license.pk)

    @admin.action(description="Transfer selected licenses to another organization…", permissions=["change"])
    def transfer(self, request, queryset):
        return self._transfer(request, queryset, action="transfer")

    def _transfer(self, request, queryset, action: str = "") -> TemplateResponse | None:
        form = StaffTransferForm(
            request.POST if "apply" in request.POST else None, admin_site=self.admin_site
        )
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Transfer licenses to another organization",
                "form": form,
                "licenses": queryset.select_related("plan", "organization"),
                "action": action,
                "opts": self.model._meta,
                "media": self.media + form.media,  # type: ignore[attr-defined]  # the organization lookup
            }
            return TemplateResponse(request, "admin/licensing/transfer_form.html", context)
        target, reason = form.cleaned_data["organization"], form.cleaned_data["reason"]
        done, refused = 0, []
        for license in queryset.order_by("pk"):
            try:
                transfer_by_staff(
                    license=license, to_organization=target, actor=Actor.staff(request.user), reason=reason
                )
                done += 1
            except LicensingError as exc:
                refused.append(f"{license.reference}: {exc.message}")
        if done:
            self.message_user(  # type: ignore[attr-defined]
                request,
                f"{done} license(s) moved to {target}; both organizations were told.",
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)  # type: ignore[attr-defined]
        return None


@admin.register(LicenseTransfer)
class LicenseTransferAdmin(admin.ModelAdmin):
    """The record of offers and moves: read-only (transfers change only through the services)."""

    list_display = ("created_at", "from_organization", "to_organization", "state", "by_staff", "decided_at")
    list_select_related = ("from_organization", "to_organization")
    list_filter = ("state", "by_staff")
    search_fields = ("=recipient_email", "=from_organization__memberships__user__email")
    search_help_text = (
        "A recipient's exact email, or the exact email of a member of the offering organization."
    )
    ordering = ("-created_at",)
    show_full_result_count = False
    fields = (
        "public_id", "from_organization", "offered_by", "recipient_email", "license_list", "created_at",
        "expires_at", "state", "decided_by", "decided_at", "to_organization", "by_staff", "reason",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Licenses")
    def license_list(self, transfer: LicenseTransfer) -> str:
        return ", ".join(license.reference for license in transfer.licenses.all())

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
