"""Staff forms: drafting an advisory revision, importing CSAF, composing an incident notice."""

import re

from django import forms

from advisories import incidents
from advisories.models import AdvisoryRevision, IncidentNotice
from advisories.scoring import score
from kalytera.errors import DomainError
from licensing import versions
from licensing.models import Product

CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


class ListField(forms.CharField):
    """A list typed one item per line (the model keeps it as a JSON list)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:  # type: ignore[override]
        return [item.strip() for item in str(value or "").splitlines() if item.strip()]


class RevisionForm(forms.ModelForm):
    cve_ids = ListField(required=False, label="CVE ids", help_text="One per line, e.g. CVE-2027-12345.")
    affected_ranges = ListField(
        label="Affected versions",
        help_text="One range per line: 6.2.x (every 6.2 version, hotfixes included), 6.2.1, or bounds "
        "such as "
        ">=6.2.0,<6.2.3. Hotfixes order after their release (6.2.1 < 6.2.1-hotfix2 < 6.2.2), "
        "pre-releases before it (6.3.0-rc1 < 6.3.0).",
    )
    fixed_versions = ListField(required=False, help_text="One version per line, e.g. 6.2.2.")

    class Meta:
        model = AdvisoryRevision
        fields = [
            "advisory",
            "title",
            "summary",
            "cve_ids",
            "cvss_vector",
            "affected_ranges",
            "fixed_versions",
            "workarounds",
            "acknowledgements",
            "change_summary",
        ]

    def clean_cve_ids(self) -> list[str]:
        ids = [item.upper() for item in self.cleaned_data["cve_ids"]]
        wrong = [item for item in ids if not CVE.match(item)]
        if wrong:
            raise forms.ValidationError(f"Not a CVE id: {', '.join(wrong)}. Write them as CVE-2027-12345.")
        return ids

    def clean_affected_ranges(self) -> list[str]:
        ranges = self.cleaned_data["affected_ranges"]
        if not ranges:
            raise forms.ValidationError("Give at least one affected version range.")
        for text in ranges:
            try:
                versions.parse_range(text)
            except versions.InvalidVersion as error:
                raise forms.ValidationError(str(error)) from None
        return ranges

    def clean_fixed_versions(self) -> list[str]:
        fixed = self.cleaned_data["fixed_versions"]
        for text in fixed:
            try:
                versions.parse(text)
            except versions.InvalidVersion as error:
                raise forms.ValidationError(str(error)) from None
        return fixed

    def clean_cvss_vector(self) -> str:
        try:
            self.instance.base_score, self.instance.severity, vector = score(self.cleaned_data["cvss_vector"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return vector


class ImportForm(forms.Form):
    document = forms.FileField(label="CSAF 2.0 document (.json)")
    product = forms.ModelChoiceField(
        Product.objects.all(),
        required=False,
        help_text="Leave empty to take it from the document's product name.",
    )
    publish = forms.BooleanField(required=False, help_text="Publish at once (and notify affected customers).")


class IncidentForm(forms.ModelForm):
    class Meta:
        model = IncidentNotice
        fields = ["title", "what_happened", "what_data", "what_to_do", "audience", "recipient_list"]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("audience") == IncidentNotice.Audience.LIST:
            try:
                incidents.parse_recipient_list(cleaned.get("recipient_list", ""))
            except DomainError as error:
                self.add_error("recipient_list", error.message)
        elif cleaned.get("recipient_list", "").strip():
            self.add_error(
                "recipient_list", "Leave the list empty when the notice goes to every active account."
            )
        return cleaned
