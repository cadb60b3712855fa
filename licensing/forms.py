from typing import cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from licensing import keys
from licensing.models import License, Plan
from organizations.models import Organization


class ClaimForm(forms.Form):
    key = forms.CharField(
        label="License key",
        max_length=64,
        help_text="As printed on your order, e.g. KLY-7G3Q-…; dashes and lower case are fine.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    organization = forms.ModelChoiceField(
        label="Add it to",
        queryset=Organization.objects.none(),
        empty_label=None,
        help_text="The organization that holds the license; its members see it according to their role.",
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organization"])
        field.queryset = organizations
        choices = list(organizations[:2])
        self.only_choice = choices[0] if len(choices) == 1 else None
        if self.only_choice is not None:  # nothing to ask: the person's own account
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_organization(self) -> Organization | None:
        return self.cleaned_data["organization"] or self.only_choice

    def clean_key(self) -> str:
        try:
            return keys.normalize(self.cleaned_data["key"])
        except keys.KeyFormatError as exc:
            raise forms.ValidationError(str(exc), code="invalid_key") from exc


class OfflineRequestForm(forms.Form):
    """An activation or deactivation request from an air-gapped server: pasted or uploaded."""

    MAX_BYTES = settings.UPLOAD_MAX_BYTES
    TOO_LARGE = "This file is too large to be a Kalytera request."

    request_text = forms.CharField(
        label="Paste the request",
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="Everything from -----BEGIN to the END----- line.",
    )
    request_file = forms.FileField(label="Or upload the request file", required=False)

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        upload = data.get("request_file")
        if self.too_large:
            raise forms.ValidationError(self.TOO_LARGE)
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(self.TOO_LARGE)
            data["request"] = upload.read()
        elif data.get("request_text", "").strip():
            data["request"] = data["request_text"]
        else:
            raise forms.ValidationError("Paste the request or choose its file.")
        return data


class _TrialChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.product.name}: {obj.name}, {obj.channels} channels"


class TrialForm(forms.Form):
    plan = _TrialChoice(queryset=Plan.objects.none(), label="Trial", empty_label=None, to_field_name="code")

    def __init__(self, *args, plans, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(_TrialChoice, self.fields["plan"]).queryset = plans


class _LicenseChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.reference}: {obj.plan.display_name}"


class TransferOfferForm(forms.Form):
    """Which licenses go, and to whom (an owner or manager of the receiving organization)."""

    licenses = _LicenseChoice(
        queryset=License.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="public_id",
        label="Licenses to transfer",
        error_messages={"required": "Choose at least one license."},
    )
    recipient_email = forms.EmailField(
        label="Recipient's email",
        help_text=(
            "An owner or manager of the organization that receives the licenses. They get a link, "
            "valid for 7 days, and choose which of their organizations receives them."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.BooleanField(
        label="I understand: once accepted, the licenses and their machines belong to the other "
        "organization, and we lose access to them."
    )

    def __init__(self, *args, licenses: QuerySet[License], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(_LicenseChoice, self.fields["licenses"]).queryset = licenses


class TransferAcceptForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="Receive them in",
        to_field_name="public_id",
        queryset=Organization.objects.none(),
        empty_label=None,
        help_text="Organizations in which you are an owner or a manager.",
    )

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations


class IntegratorInviteForm(forms.Form):
    """An owner gives an integrator access: by the email of one of its owners or managers."""

    email = forms.EmailField(
        label="Email of your integrator",
        help_text="An owner or manager of the integrator's organization on this site; they choose which "
        "of their organizations looks after your licenses.",
    )
    scope = forms.ChoiceField(
        label="What the integrator may do",
        choices=[
            ("view", "View: see licenses, machines and history; change nothing"),
            ("manage", "Manage: also activate and deactivate machines, offline requests, certificates, keys"),
        ],
        initial="view",
        widget=forms.RadioSelect,
    )
    coverage = forms.ChoiceField(
        label="Which licenses",
        choices=[
            ("all", "All licenses, also those added later"),
            ("chosen", "Only the licenses chosen below"),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )
    licenses = _LicenseChoice(
        label="Chosen licenses", queryset=License.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    send_reminders = forms.BooleanField(
        label="Send renewal reminders and license notices to the integrator too", required=False
    )

    def __init__(self, *args, licenses: QuerySet[License], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(_LicenseChoice, self.fields["licenses"]).queryset = licenses

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("coverage") == "chosen" and not data.get("licenses"):
            self.add_error("licenses", "Choose at least one license, or all of them.")
        return data


class IntegratorAcceptForm(forms.Form):
    integrator = forms.ModelChoiceField(
        label="Your organization that looks after them",
        queryset=Organization.objects.none(),
        empty_label=None,
        help_text="Its members reach the licenses: owners and managers act as the grant allows, viewers see.",
    )

    def __init__(self, *args, organizations: list[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["integrator"])
        field.queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations]).order_by("name")


class GrantChangeForm(forms.Form):
    scope = forms.ChoiceField(choices=[("view", "View"), ("manage", "Manage")])
    send_reminders = forms.BooleanField(required=False)
