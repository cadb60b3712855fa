"""Staff tools for licensing: catalogue, issuing, lookups and the status actions.

Lists stay fast with millions of licenses: no full-table counts (``show_full_result_count``
off and a paginator that stops counting at a cap), searches that hit an index (key hash,
key prefix, a member's exact email, public id) instead of ``LIKE`` scans, and ordering by an
indexed column. License rows change only through the services, which write the history.
"""

import re
import uuid
from datetime import UTC, datetime, time
from functools import partial
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from accounts.models import User
from accounts.privacy import restriction
from kalytera.downloads import attachment
from kalytera.text import CharacterValidator
from licensing import keys, services, statistics
from licensing.models import Activation, KeyBatch, License, LicenseEvent, Plan, Product, Release, UsageDaily
from licensing.release_admin import ReleaseAdmin, ReleaseArtifactAdmin  # noqa: F401  (registers them)
from licensing.services import Actor, LicensingError
from licensing.transfer_admin import StaffTransferMixin
from organizations import access
from organizations.services import personal_organization

_PREFIX = re.compile(r"^KLY-[0-9A-Z]{4}$")


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP + 1`` rows: "10000+" is as useful as an exact count and costs a fraction."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return cast(QuerySet, self.object_list)[: self.CAP + 1].count()  # the admin pages querysets


class ReleaseInline(admin.TabularInline):
    """New releases start as drafts; notes, state and installers are on the release's own page."""

    model = Release
    fields = ("version", "released_on", "state")
    readonly_fields = ("state",)
    show_change_link = True
    can_delete = False  # on the release's page, which removes its installers' files too
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ReleaseInline]


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "product", "code", "name", "kind", "duration_days", "channels", "max_machines", "features",
            "upgrade_plan_days", "offline_validity_days", "grace_days", "moves_per_year",
            "hardware_changes_per_year", "is_active",
        ]  # fmt: skip

    def clean_features(self) -> list[str]:
        features = self.cleaned_data["features"]
        if not isinstance(features, list) or not all(
            isinstance(f, str) and re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", f) for f in features
        ):
            raise forms.ValidationError('Write a list of lower-case codes, e.g. ["analytics", "lpr"].')
        return features

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") in (Plan.Kind.SUBSCRIPTION, Plan.Kind.TRIAL) and not data.get("duration_days"):
            self.add_error("duration_days", "Subscriptions and trials need a duration.")
        return data


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanForm
    list_display = ("name", "code", "product", "kind", "channels", "max_machines", "is_active")
    list_filter = ("product", "kind", "is_active")


class ActivationInline(admin.TabularInline):
    model = Activation
    fields = (
        "label",
        "display_id",
        "product_version",
        "first_seen_at",
        "last_seen_at",
        "is_active",
        "released_at",
        "support_move",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="Machine id")
    def display_id(self, activation: Activation) -> str:
        return activation.display_id if activation.pk else ""  # the inline's blank template row

    @admin.display(description="Support")
    def support_move(self, activation: Activation) -> str:
        if not activation.pk or not activation.is_active:
            return ""
        url = reverse("admin:licensing_license_release", args=[activation.license_id, activation.pk])
        return format_html('<a href="{}">Free this seat…</a>', url)


class RecentEventsFormSet(BaseInlineFormSet):
    """The latest events only: a machine refused every hour writes thousands a year."""

    LIMIT = 100

    def get_queryset(self):
        return super().get_queryset()[: self.LIMIT]


class EventInline(admin.TabularInline):
    model = LicenseEvent
    formset = RecentEventsFormSet
    fk_name = "license"
    verbose_name_plural = "latest events (the full history is under License events)"
    fields = ("created_at", "kind", "actor", "actor_user", "organization", "activation", "detail")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor_user", "organization", "activation")


class IssueForm(forms.Form):
    owner_email = forms.EmailField(
        label="Customer email", help_text="The account whose personal organization receives the license."
    )
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_active=True).select_related("product"))
    max_machines = forms.IntegerField(label="Seats", required=False, min_value=1, max_value=10_000)
    channels = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    expires_on = forms.DateField(required=False, help_text="Leave empty for the plan's term (YYYY-MM-DD).")

    def clean_owner_email(self) -> User:
        email = self.cleaned_data["owner_email"].strip().lower()
        owner = User.objects.filter(email=email).first()
        if owner is None:
            raise forms.ValidationError("No account has this address; ask the customer to sign up first.")
        return owner


class BatchForm(forms.Form):
    reseller = forms.CharField(max_length=200, validators=[CharacterValidator()])
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_active=True).select_related("product"))
    count = forms.IntegerField(min_value=1, max_value=services.MAX_BATCH)


class StatusChangeForm(forms.Form):
    """Why a license is suspended, reinstated or revoked: the customer reads it in an email."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        validators=[CharacterValidator(multiline=True)],
        help_text="Sent to the customer by email and shown on their license page: write it for them.",
    )
    confirm = forms.BooleanField(label="Yes, change the status and tell the customer")

    def __init__(self, *args, change: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if change == "reinstate":
            self.fields["reason"].required = False


class ReleaseForm(forms.Form):
    """Which machine's seat support frees, and why: the customer's server stops being licensed."""

    machine = forms.ModelChoiceField(queryset=Activation.objects.none(), widget=forms.RadioSelect)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="Recorded in the license's history, which the customer sees: write it for them.",
    )
    confirm = forms.BooleanField(label="Yes, deactivate this machine and free its seat")

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        machine = cast(forms.ModelChoiceField, self.fields["machine"])
        machine.queryset = license.activations.filter(is_active=True)


class RenewForm(forms.Form):
    TERM, MONTHS, DATE = "term", "months", "date"
    how = forms.ChoiceField(
        label="Renew",
        choices=[
            (TERM, "By one term of each license's plan"),
            (MONTHS, "By a number of months"),
            (DATE, "To one date (aligns the selected licenses)"),
        ],
        widget=forms.RadioSelect,
        initial=TERM,
    )
    months = forms.IntegerField(required=False, min_value=1, max_value=120)
    until = forms.DateField(
        label="New end date",
        required=False,
        help_text="YYYY-MM-DD; the expiry, or the upgrade-plan end of perpetual licenses.",
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("how") == self.MONTHS and not data.get("months"):
            self.add_error("months", "Enter the number of months.")
        if data.get("how") == self.DATE and not data.get("until"):
            self.add_error("until", "Enter the new end date.")
        return data

    def renewal(self) -> dict:
        data = self.cleaned_data
        if data["how"] == self.MONTHS:
            return {"months": data["months"]}
        if data["how"] == self.DATE:
            return {"until": _end_of_day(data["until"])}
        return {}


class RenewOneForm(RenewForm):
    """One license's renewal from its change page, confirmed (a click on a button is not enough)."""

    confirm = forms.BooleanField(label="Yes, renew this license")


def _end_of_day(day) -> datetime | None:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC) if day else None


def _status_title(change: str, licenses) -> str:
    count = licenses.count()
    if count == 1:
        return f"{change.capitalize()} license {licenses.get().reference}"
    return f"{change.capitalize()} {count} licenses"


def _against_plan(value: int, override: int | None, plan_value: int) -> str:
    return f"{value} (the plan's)" if override is None else f"{value} (the plan has {plan_value})"


@admin.register(License)
class LicenseAdmin(StaffTransferMixin, admin.ModelAdmin):
    list_display = ("reference", "organization", "plan_code", "status", "expires_at", "created_at")
    list_filter = ("status", "plan__kind", "plan")
    list_select_related = ("organization", "plan")
    search_fields = ("organization__name",)  # shows the search box; the lookup itself is get_search_results
    search_help_text = (
        "A full license key, a key prefix (KLY-XXXX), a member's exact email (their organizations' "
        "licenses) or a license id."
    )
    ordering = ("-created_at",)
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    change_list_template = "admin/licensing/license/change_list.html"
    inlines = [ActivationInline, EventInline]
    actions = ["suspend", "reinstate", "revoke", "renew", "renew_with_form", "transfer"]
    fields = (
        "reference", "public_id", "plan", "organization", "status", "seats", "channels",
        "starts_at", "expires_at", "upgrade_plan_until", "batch", "created_at", "claimed_at", "owner_privacy",
    )  # fmt: skip
    readonly_fields = fields
    raw_id_fields = ("organization",)

    @admin.display(description="Plan", ordering="plan__code")
    def plan_code(self, license: License) -> str:
        return license.plan.code  # the code, not "name (code)": the list fits a 1280 px screen

    @admin.display(description="Seats")
    def seats(self, license: License) -> str:
        # The word of the issue form and the customer's page; the override is a detail.
        return _against_plan(license.max_machines, license.max_machines_override, license.plan.max_machines)

    @admin.display(description="Channels")
    def channels(self, license: License) -> str:
        return _against_plan(license.channels, license.channels_override, license.plan.channels)

    @admin.display(description="Privacy choices of those told about it")
    def owner_privacy(self, license: License) -> str:
        if license.organization_id is None:
            return "-"
        if any(restriction.is_restricted(person) for person in access.notified_members(license)):
            return restriction.RESTRICTED_NOTE
        return "No restriction"

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(key_hash=keys.lookup_hash(keys.normalize(term))), False
        except keys.KeyFormatError:
            pass
        if _PREFIX.match(term.upper()):
            return queryset.filter(key_prefix=term.upper()), False
        if "@" in term:
            return queryset.filter(organization__memberships__user__email=term.lower()), False
        try:
            return queryset.filter(public_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # licenses stay on record; revoke instead

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:licensing_license_issue")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: changes go through the action buttons, so no Save buttons.
        no_save = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**no_save, **(extra_context or {})})

    def get_urls(self):
        extra = [
            path("issue/", self.admin_site.admin_view(self.issue_view), name="licensing_license_issue"),
            path("issue-batch/", self.admin_site.admin_view(self.batch_view), name="licensing_license_batch"),
            path(
                "statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name="licensing_license_statistics",
            ),
            path(
                "<int:license_id>/status/<str:change>/",
                self.admin_site.admin_view(self.status_view),
                name="licensing_license_status",
            ),
            path(
                "<int:license_id>/renew/",
                self.admin_site.admin_view(self.renew_view),
                name="licensing_license_renew",
            ),
            path(
                "<int:license_id>/free-a-seat/",
                self.admin_site.admin_view(self.release_view),
                name="licensing_license_free_seat",
            ),
            path(
                "<int:license_id>/machines/<int:activation_id>/release/",
                self.admin_site.admin_view(self.release_view),
                name="licensing_license_release",
            ),
            *self.transfer_urls(),
        ]
        return extra + super().get_urls()

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = IssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                customer = data["owner_email"]
                issued = services.issue_license(
                    plan=data["plan"],
                    organization=personal_organization(user=customer),
                    actor=Actor.staff(request.user),
                    max_machines=data["max_machines"],
                    channels=data["channels"],
                    expires_at=_end_of_day(data["expires_on"]),
                    notify=True,
                )
            except LicensingError as exc:
                form.add_error(None, f"{exc.code}: {exc.message}")
            else:
                license = issued.license
                self.message_user(
                    request,
                    f"License {license.reference} issued to {customer.email}; they were told by email "
                    "and see the key in their account.",
                    messages.SUCCESS,
                )
                return redirect("admin:licensing_license_change", license.pk)
        return self._form_page(request, form, "Issue a license", "Issue license")

    def batch_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = BatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                batch = services.issue_batch(
                    plan=data["plan"],
                    reseller=data["reseller"],
                    count=data["count"],
                    actor=Actor.staff(request.user),
                )
            except LicensingError as exc:
                form.add_error(None, f"{exc.code}: {exc.message}")
            else:
                self.message_user(
                    request,
                    f"{batch.size} keys issued. Download them now: the file can be downloaded once.",
                    messages.SUCCESS,
                )
                return redirect("admin:licensing_keybatch_changelist")
        return self._form_page(request, form, "Issue keys for a reseller", "Issue keys")

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        """Charts of how the product is used: sums only, nothing that names a customer or machine."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        context = {
            **self.admin_site.each_context(request),
            "title": "Licensing statistics",
            "figures": statistics.figures(timezone.now().date()),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/statistics.html", context)

    def release_view(
        self, request: HttpRequest, license_id: int, activation_id: int | None = None
    ) -> HttpResponse:
        """Support frees a seat beyond the customer's yearly moves (machine, reason, confirmation)."""
        license = get_object_or_404(License, pk=license_id)
        if not self.has_change_permission(request, license):
            return HttpResponseRedirect(reverse("admin:index"))
        form = ReleaseForm(
            request.POST if request.method == "POST" else None,
            license=license,
            initial={"machine": activation_id},
        )
        if form.is_valid():
            activation = form.cleaned_data["machine"]
            try:
                services.release_for_customer(
                    activation=activation, actor=Actor.staff(request.user), reason=form.cleaned_data["reason"]
                )
            except LicensingError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request, f"{activation} is deactivated; its seat is free.", messages.SUCCESS
                )
            return redirect("admin:licensing_license_change", license.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Free a seat of license {license.reference}",
            "form": form,
            "license": license,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/release_confirm.html", context)

    def renew_view(self, request: HttpRequest, license_id: int) -> HttpResponse:
        """One license's renew button on its change page."""
        license = get_object_or_404(License.objects.select_related("plan"), pk=license_id)
        if not self.has_change_permission(request, license):
            return HttpResponseRedirect(reverse("admin:index"))
        form = RenewOneForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            self._apply(
                request,
                License.objects.filter(pk=license.pk),
                "renewed",
                partial(services.renew_license, **form.renewal()),
            )
            return redirect("admin:licensing_license_change", license.pk)
        return self._renew_page(request, form, License.objects.filter(pk=license.pk), action="")

    def _form_page(self, request, form, title: str, button: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "button": button,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/issue_form.html", context)

    def status_view(self, request: HttpRequest, license_id: int, change: str) -> HttpResponse:
        """One license's suspend, reinstate or revoke button on its change page."""
        license = get_object_or_404(License, pk=license_id)
        if change not in services.STATUS_CHANGES or not self.has_change_permission(request, license):
            return HttpResponseRedirect(reverse("admin:index"))
        done = self._change_status(request, License.objects.filter(pk=license.pk), change)
        return done or redirect("admin:licensing_license_change", license.pk)

    def _change_status(self, request, queryset, change: str, action: str = "") -> TemplateResponse | None:
        """Ask for the reason and a confirmation, then change each license and tell its holders."""
        form = StatusChangeForm(request.POST if "apply" in request.POST else None, change=change)
        _service, label = services.STATUS_CHANGES[change]
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _status_title(change, queryset),
                "form": form,
                "licenses": queryset.select_related("plan", "organization"),
                "action": action,
                "change": change,
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/licensing/status_form.html", context)
        changer = partial(
            services.change_status_with_notice, change=change, reason=form.cleaned_data["reason"]
        )
        self._apply(request, queryset, f"{label}; their owners and managers were told by email", changer)
        return None

    def _apply(self, request, queryset, label: str, action) -> None:
        done, refused = 0, []
        for license in queryset.select_related("plan"):
            try:
                action(license=license, actor=Actor.staff(request.user))
                done += 1
            except LicensingError as exc:
                refused.append(f"{license.reference}: {exc.message}")
        if done:
            self.message_user(request, f"{done} license(s) {label}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Suspend selected licenses…", permissions=["change"])
    def suspend(self, request, queryset):
        return self._change_status(request, queryset, "suspend", action="suspend")

    @admin.action(description="Reinstate selected licenses…", permissions=["change"])
    def reinstate(self, request, queryset):
        return self._change_status(request, queryset, "reinstate", action="reinstate")

    @admin.action(description="Revoke selected licenses (final)…", permissions=["change"])
    def revoke(self, request, queryset):
        return self._change_status(request, queryset, "revoke", action="revoke")

    @admin.action(description="Renew or extend selected licenses by one term", permissions=["change"])
    def renew(self, request, queryset) -> None:
        self._apply(request, queryset, "renewed", services.renew_license)

    @admin.action(description="Renew, extend or align selected licenses…", permissions=["change"])
    def renew_with_form(self, request, queryset):
        form = RenewForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(request, queryset, "renewed", partial(services.renew_license, **form.renewal()))
            return None
        return self._renew_page(request, form, queryset, action="renew_with_form")

    def _renew_page(self, request, form, queryset, action: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _status_title("renew", queryset),
            "form": form,
            "licenses": queryset.select_related("plan"),
            "action": action,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/licensing/renew_form.html", context)


@admin.register(KeyBatch)
class KeyBatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "reseller", "plan", "size", "download")
    list_select_related = ("plan",)
    readonly_fields = ("reseller", "plan", "size", "created_at", "downloaded_at")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # batches are issued from the license list ("Issue keys for a reseller")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Keys (CSV)")
    def download(self, batch: KeyBatch) -> str:
        if batch.downloaded_at:
            return f"downloaded {batch.downloaded_at:%Y-%m-%d %H:%M}"
        url = reverse("admin:licensing_keybatch_download", args=[batch.pk])
        return format_html('<a href="{}">Download once</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        return [
            path("<int:batch_id>/download/", view, name="licensing_keybatch_download"),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not request.user.has_perm("licensing.add_keybatch"):
            return HttpResponseRedirect(reverse("admin:index"))
        batch = get_object_or_404(KeyBatch, pk=batch_id)
        if request.method != "POST":
            context = {**self.admin_site.each_context(request), "title": "Download keys", "batch": batch,
                       "opts": self.model._meta}  # fmt: skip
            return TemplateResponse(request, "admin/licensing/batch_download.html", context)
        try:
            content = services.take_batch_csv(batch_id=batch.pk)
        except LicensingError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:licensing_keybatch_changelist")
        return attachment(
            content, filename=f"kalytera-keys-batch-{batch.pk}.csv", content_type="text/csv; charset=utf-8"
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False
    paginator = CappedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "license", "product_version", "last_seen_at", "is_active")
    list_select_related = ("license",)
    fields = (
        "license",
        "label",
        "product_version",
        "first_seen_at",
        "last_seen_at",
        "is_active",
        "released_at",
    )
    ordering = ("-first_seen_at",)


@admin.register(LicenseEvent)
class LicenseEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "license", "kind", "actor", "actor_user", "organization")
    list_select_related = ("license", "actor_user", "organization")
    list_filter = ("kind",)
    ordering = ("-created_at",)
    fields = ("created_at", "license", "activation", "kind", "actor", "actor_user", "organization", "detail")


@admin.register(UsageDaily)
class UsageDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "product", "product_version", "metric", "reports", "total")
    list_filter = ("product", "metric")
    ordering = ("-day",)
