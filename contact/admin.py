"""The support team's desk: inquiries, their thread of replies and notes, and bulk actions."""

import csv
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.db.models import Q
from django.http import HttpResponse
from django.template.defaultfilters import linebreaks_filter
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.privacy import restriction
from contact import services
from contact.models import Inquiry, ThreadEntry
from kalytera.downloads import attachment

SUPPORT_GROUP = "Support"
HANDLING_HELP = (
    "New: nobody has looked at it. Open: someone works on it. Waiting on customer: we answered and "
    "expect a reply. Closed and spam inquiries are deleted automatically after their retention "
    "periods; reopen one by setting another status. Customers answer by email to the support "
    "mailbox: record what matters as an internal note and set the status back to Open."
)
EVERYWHERE = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]
CSV_COLUMNS = (
    ("reference", "Reference"),
    ("created_at", "Received"),
    ("status", "Status"),
    ("topic", "Topic"),
    ("name", "Name"),
    ("email", "Email"),
    ("company", "Company"),
    ("phone", "Phone"),
    ("license_reference", "License"),
    ("assignee", "Assignee"),
    ("message", "Message"),
)
# A cell starting with one of these is a formula to a spreadsheet program; senders choose the text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class InquiryAdminForm(forms.ModelForm):
    reply = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Reply to the sender",
        help_text=(
            "Emailed to the sender when you save, from our support address, and kept in the thread. "
            "A new or open inquiry then waits on the customer."
        ),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Internal note",
        help_text="For the support team only: kept in the thread, never sent to anyone.",
    )

    class Meta:
        model = Inquiry
        fields = ["status", "assignee"]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("reply", "").strip() and cleaned.get("status") == Inquiry.Status.SPAM:
            self.add_error(
                "reply", "Spam is not answered: if this is a real inquiry, change its status first."
            )
        return cleaned


class ResponsibilityFilter(admin.SimpleListFilter):
    title = "responsibility"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Not assigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee=None)
        return queryset


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    form = InquiryAdminForm
    change_list_template = "contact/admin/inquiry_change_list.html"
    list_display = ("reference", "sender", "topic", "status", "answer_by", "age", "handler")
    list_filter = (
        "status",
        "topic",
        ResponsibilityFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("reference", "name", "email", "company", "license_reference", "message")
    search_help_text = "Search by reference, name, email address, company, license or words of the message."
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    actions = ["assign_to_me", "close", "mark_as_spam", "export_csv"]
    readonly_fields = (
        "reference",
        "created_at",
        "age",
        "answer_by",
        "topic",
        "license_reference",
        "name",
        "email",
        "company",
        "phone_number",
        "account",
        "closed_at",
        "why_spam",
        "thread",
    )
    fieldsets = (
        ("Thread", {"fields": ("thread",)}),
        ("Handling", {"fields": ("status", "assignee", "reply", "note"), "description": HANDLING_HELP}),
        (
            "Inquiry",
            {
                "fields": (
                    ("reference", "created_at", "age"),
                    ("topic", "license_reference", "answer_by"),
                    ("name", "email"),
                    ("company", "phone_number"),
                    "account",
                    ("closed_at", "why_spam"),
                ),
                "description": (
                    "What the sender gave us, unchanged. Use it only to answer this inquiry. "
                    "Privacy requests must be answered within one month of receipt."
                ),
            },
        ),
    )

    class Media:
        css = {"all": ["contact/admin.css"]}

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "retention_closed_days": settings.CONTACT_RETENTION_CLOSED_DAYS,
            "retention_spam_days": settings.CONTACT_RETENTION_SPAM_DAYS,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee", "user")

    def has_add_permission(self, request) -> bool:
        return False  # inquiries come from the contact form only

    def get_readonly_fields(self, request, obj=None):
        if obj is None or self.has_change_permission(request, obj):
            return self.readonly_fields
        return (*self.readonly_fields, "status", "assignee")

    def get_fieldsets(self, request, obj=None):
        if self._may_write_thread(request, obj):
            return self.fieldsets
        thread, _, details = self.fieldsets
        handling = ("Handling", {"fields": ("status", "assignee"), "description": HANDLING_HELP})
        return (thread, handling, details)

    def _may_write_thread(self, request, obj) -> bool:
        # Writing to the thread needs its own permission on top of changing the inquiry.
        return self.has_change_permission(request, obj) and request.user.has_perm("contact.add_threadentry")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = (
                User.objects.filter(is_active=True, is_staff=True)
                .filter(Q(groups__name=SUPPORT_GROUP) | Q(is_superuser=True))
                .distinct()
                .order_by("email")
            )
            kwargs["help_text"] = "Members of the Support team."
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            assert field is not None  # a foreign key always has a form field
            # Assigning picks a colleague; adding, changing or deleting users is not done from here.
            for action in ("add", "change", "delete", "view"):
                setattr(field.widget, f"can_{action}_related", False)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: Inquiry, form, change) -> None:
        if "status" in form.changed_data:
            new_status = obj.status
            obj.status = form.initial["status"]
            obj.set_status(new_status, now=timezone.now())
        super().save_model(request, obj, form, change)
        if not self._may_write_thread(request, obj):
            return
        if note := form.cleaned_data.get("note", "").strip():
            services.add_note(inquiry=obj, author=request.user, body=note)
            self.message_user(request, "Internal note saved.", messages.SUCCESS)
        if reply := form.cleaned_data.get("reply", "").strip():
            services.send_reply(inquiry=obj, author=request.user, body=reply)
            self.message_user(request, f"Reply queued for delivery to {obj.email}.", messages.SUCCESS)

    # --- Columns and read-only fields ---------------------------------------------------------

    @admin.display(description="From", ordering="name")
    def sender(self, obj: Inquiry) -> str:
        return format_html('{}<br><span class="inquiry-email">{}</span>', obj.name, obj.email)

    @admin.display(description="Assignee", ordering="assignee__email")
    def handler(self, obj: Inquiry) -> str:
        # The name part of the address: the team knows each other, and the column stays narrow.
        return obj.assignee.email.split("@")[0] if obj.assignee else "-"

    @admin.display(description="Spam reason")
    def why_spam(self, obj: Inquiry) -> str:
        return obj.spam_reason or "-"

    @admin.display(description="Age", ordering="created_at")
    def age(self, obj: Inquiry) -> str:
        return timesince(obj.created_at, depth=1)

    @admin.display(description="Answer by")
    def answer_by(self, obj: Inquiry) -> str:
        due = obj.response_due
        if due is None:
            return "-"
        overdue = obj.status not in Inquiry.FINISHED and due < timezone.now()
        label = f"{due:%Y-%m-%d}" + (" (overdue)" if overdue else "")
        return format_html('<span class="{}">{}</span>', "inquiry-overdue" if overdue else "", label)

    @admin.display(description="Phone")
    def phone_number(self, obj: Inquiry) -> str:
        return obj.phone_display or "-"

    @admin.display(description="Account")
    def account(self, obj: Inquiry) -> str:
        if obj.user is None:
            return "Not logged in when sending"
        if restriction.is_restricted(obj.user):
            return f"Sent while logged in as {obj.user.email}. {restriction.RESTRICTED_NOTE}"
        return f"Sent while logged in as {obj.user.email}"

    @admin.display(description="Thread")
    def thread(self, obj: Inquiry) -> str:
        original = format_html(
            '<article class="thread-entry thread-original"><header>{} · {} &lt;{}&gt; wrote</header>'
            '<div class="thread-body">{}</div></article>',
            _when(obj.created_at),
            obj.name,
            obj.email,
            linebreaks_filter(obj.message, autoescape=True),
        )
        entries = format_html_join(
            "",
            '<article class="thread-entry thread-{}"><header>{} · {} by {}{}</header>'
            '<div class="thread-body">{}</div></article>',
            (
                (
                    entry.kind,
                    _when(entry.created_at),
                    entry.get_kind_display(),
                    entry.author.email if entry.author else "a former staff member",
                    _delivery(entry),
                    linebreaks_filter(entry.body, autoescape=True),
                )
                for entry in obj.thread.select_related("author", "email")
            ),
        )
        return format_html('<div class="inquiry-thread">{}{}</div>', original, entries)

    # --- Actions --------------------------------------------------------------------------------

    @admin.action(description="Assign to me", permissions=["change"], location=EVERYWHERE)
    def assign_to_me(self, request: AuthenticatedHttpRequest, queryset) -> None:
        changed = services.assign(inquiries=queryset, to=request.user)
        self.message_user(request, f"{changed} inquiry(ies) assigned to you.", messages.SUCCESS)

    @admin.action(description="Close", permissions=["change"], location=EVERYWHERE)
    def close(self, request: AuthenticatedHttpRequest, queryset) -> None:
        changed = services.close(inquiries=queryset)
        self.message_user(request, f"{changed} inquiry(ies) closed.", messages.SUCCESS)

    @admin.action(description="Mark as spam", permissions=["change"], location=EVERYWHERE)
    def mark_as_spam(self, request: AuthenticatedHttpRequest, queryset) -> None:
        changed = services.mark_spam(inquiries=queryset)
        self.message_user(request, f"{changed} inquiry(ies) marked as spam.", messages.SUCCESS)

    @admin.action(description="Export to CSV", permissions=["view"])
    def export_csv(self, request: AuthenticatedHttpRequest, queryset) -> HttpResponse:
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = attachment("", filename=f"inquiries-{stamp}.csv", content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow([title for _, title in CSV_COLUMNS])
        for inquiry in queryset.select_related("assignee").order_by("created_at"):
            writer.writerow([_csv_cell(field, _csv_value(inquiry, field)) for field, _ in CSV_COLUMNS])
        return response


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _delivery(entry: ThreadEntry) -> str:
    if entry.kind != ThreadEntry.Kind.REPLY:
        return ""
    if entry.email is None:
        return " (emailed)"
    return f" (email: {entry.email.get_status_display().lower()})"


def _csv_value(inquiry: Inquiry, field: str) -> str:
    if field == "created_at":
        return inquiry.created_at.isoformat(timespec="seconds")
    if field in ("status", "topic"):
        return getattr(inquiry, f"get_{field}_display")()
    if field == "assignee":
        return inquiry.assignee.email if inquiry.assignee else ""
    return getattr(inquiry, field)


def _csv_cell(field: str, value: str) -> str:
    # Phone numbers are validated E.164 ("+" and digits): a spreadsheet reads them as numbers.
    if field != "phone" and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value
