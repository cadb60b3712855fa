from datetime import datetime
from typing import cast

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString

from legal.models import PolicyVersion


def _policy_links_now() -> SafeString:
    return format_html(
        'Read the <a href="{}">Terms of Service</a> and the <a href="{}">Privacy Policy</a>.',
        reverse("legal:policy", args=["terms"]),
        reverse("legal:policy", args=["privacy"]),
    )


# Lazy: the sign-up form is built when its module is imported, before the URLs are loaded.
_policy_links = lazy(_policy_links_now, SafeString)


def policy_acceptance_field() -> forms.BooleanField:
    """The sign-up checkbox: the Terms are accepted, the Privacy Policy acknowledged."""
    return forms.BooleanField(
        required=True,
        label="I accept the Terms of Service and have read the Privacy Policy.",
        help_text=_policy_links(),
        error_messages={"required": "To create an account, accept the Terms of Service."},
    )


class CompareForm(forms.Form):
    """Two version numbers of one policy, from the archive page (GET)."""

    old = forms.TypedChoiceField(label="Older version", coerce=int)
    new = forms.TypedChoiceField(label="Newer version", coerce=int)

    def __init__(self, *args, versions: list[PolicyVersion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(v.number, f"Version {v.number} ({v.effective_at:%Y-%m-%d})") for v in versions]
        for name in ("old", "new"):
            field = cast(forms.TypedChoiceField, self.fields[name])
            field.choices = choices
            field.error_messages["invalid_choice"] = "Choose a published version."

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("old") is not None and data.get("old") == data.get("new"):
            raise forms.ValidationError("Choose two different versions to compare.", code="same_version")
        return data


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        required=True,
        label="I have read and accept this version.",
        error_messages={"required": "Tick the box to accept, or leave this page."},
    )


class PublishForm(forms.Form):
    """Staff choose to publish now or schedule a date; the service checks the order of versions."""

    WHEN_CHOICES = [("now", "Publish now"), ("schedule", "Schedule for a later date")]

    when = forms.ChoiceField(choices=WHEN_CHOICES, widget=forms.RadioSelect, initial="now")
    effective_at = forms.DateTimeField(
        label="Takes effect at (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Material changes are best announced at least 30 days ahead. "
        "The page announces a scheduled material change until it takes effect.",
    )
    confirm = forms.BooleanField(
        required=True,
        label="I have checked the preview. Once published, this version cannot be changed.",
        error_messages={"required": "Confirm that you checked the preview."},
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("when") == "schedule":
            effective_at: datetime | None = data.get("effective_at")
            if effective_at is None:
                self.add_error("effective_at", "Give the date and time the version takes effect.")
            elif effective_at <= timezone.now():
                self.add_error("effective_at", "A scheduled date must lie in the future.")
        else:
            data["effective_at"] = None
        return data
