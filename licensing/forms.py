from django import forms

from licensing import keys


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
