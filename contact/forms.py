import re
import unicodedata

from django import forms
from django.core.validators import RegexValidator

from accounts.phone import PHONE_FORMAT_HELP, normalise_phone
from contact.models import Inquiry
from contact.spam import HONEYPOT_FIELD
from kalytera import text

MESSAGE_MAX_CHARS = 5000
LICENSE_REFERENCE_MAX_CHARS = 40
# A license's display reference: letters, digits and dashes (the licensing app shows it on each license).
LICENSE_REFERENCE = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")


def _has_visible_text(value: str) -> bool:
    # Separators (Z*) and control/format characters (C*: zero-width spaces, NUL ...) show nothing.
    return any(unicodedata.category(char)[0] not in "ZC" for char in value)


def clean_line(value: str, *, what: str) -> str:
    """One line of text for names: NFC, single spaces, no control or format characters (``kalytera.text``).

    Line breaks are refused rather than removed: such a value reaches email headers
    (the support notification's subject), where a line break would start a new header.
    """
    value = unicodedata.normalize("NFC", value)
    if text.refused_characters(value):
        raise forms.ValidationError(
            f"The {what} cannot contain line breaks, control or invisible formatting characters.",
            code=text.CharacterValidator.code,
        )
    return " ".join(value.split())


def clean_text(value: str) -> str:
    """Free text: NFC, Unix line ends, and no control or format characters but line breaks and tabs."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    if text.refused_characters(value, multiline=True):
        raise forms.ValidationError(
            "The message contains control or invisible formatting characters "
            f"({', '.join(text.refused_characters(value, multiline=True))}); please remove them.",
            code=text.CharacterValidator.code,
        )
    return value.strip()


class ContactForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        help_text="We answer at this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    company = forms.CharField(
        max_length=200,
        required=False,
        label="Company (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        max_length=40,
        required=False,
        label="Phone (optional)",
        help_text=PHONE_FORMAT_HELP,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    topic = forms.ChoiceField(
        choices=[("", "Choose a topic"), *Inquiry.Topic.choices],
        label="Topic",
        error_messages={
            "required": "Choose the topic that fits best: it brings your message to the right team."
        },
    )
    license_reference = forms.CharField(
        max_length=LICENSE_REFERENCE_MAX_CHARS,
        required=False,
        label="License reference (optional)",
        help_text="If you write about a license: its reference, as shown on the license page.",
        validators=[
            RegexValidator(
                LICENSE_REFERENCE,
                "A license reference has only letters, digits and dashes, as shown on the license page.",
                code="invalid_license_reference",
            )
        ],
    )
    message = forms.CharField(
        max_length=MESSAGE_MAX_CHARS,
        label="Your message",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"Up to {MESSAGE_MAX_CHARS:,} characters. Please do not send passwords or license keys.",
        error_messages={
            "max_length": "Please shorten your message to %(limit_value)s characters (it has %(show_value)s)."
        },
    )
    # The trap: people never see it (hidden by a CSS class), programs that fill every field do.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"class": "hp-field", "tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    licenses: tuple[tuple[str, str], ...] = ()  # set by offer_licenses

    def offer_licenses(self, licenses: list[tuple[str, str]]) -> None:
        """Suggest the sender's own licenses, (reference, plan name), in the license field."""
        self.licenses = tuple(licenses)
        if self.licenses:
            field = self.fields["license_reference"]
            field.widget.attrs["list"] = "your-licenses"
            field.help_text = "Choose one of your licenses, or type the reference shown on a license page."

    def clean_name(self) -> str:
        if not _has_visible_text(self.cleaned_data["name"]):
            raise forms.ValidationError("Enter your name.", code="required")
        return clean_line(self.cleaned_data["name"], what="name")

    def clean_email(self) -> str:
        local, _, domain = self.cleaned_data["email"].rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_company(self) -> str:
        return clean_line(self.cleaned_data["company"], what="company name")

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_license_reference(self) -> str:
        return self.cleaned_data["license_reference"].strip()

    def clean_message(self) -> str:
        if not _has_visible_text(self.cleaned_data["message"]):
            raise forms.ValidationError("Write your message.", code="required")
        return clean_text(self.cleaned_data["message"])

    @property
    def is_trapped(self) -> bool:
        """Whether the hidden trap field was filled in (by a program, in all likelihood)."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    @classmethod
    def initial_for(cls, request) -> dict:
        """Prefill from the account and from links such as ``?topic=licensing&license=KLY-7K2M``."""
        initial: dict = {}
        user = request.user
        if user.is_authenticated:
            initial.update(email=user.email, company=user.company, phone=user.phone_display)
        topic = request.GET.get("topic", "")
        if topic in Inquiry.Topic.values:
            initial["topic"] = topic
        reference = request.GET.get("license", "").strip()
        if len(reference) <= LICENSE_REFERENCE_MAX_CHARS and LICENSE_REFERENCE.match(reference):
            initial["license_reference"] = reference
            initial.setdefault("topic", Inquiry.Topic.LICENSING)
        return initial
