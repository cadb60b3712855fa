from typing import cast

from django import forms
from django.conf import settings

from licensing import keys
from licensing.models import Plan


class ClaimForm(forms.Form):
    key = forms.CharField(
        label="License key",
        max_length=64,
        help_text="As printed on your order, e.g. KLY-7G3Q-…; dashes and lower case are fine.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

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
