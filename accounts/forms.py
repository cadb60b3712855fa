from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils import timezone

from accounts.phone import PHONE_FORMAT_HELP, normalise_phone
from kalytera import text
from legal.forms import policy_acceptance_field
from legal.services import record_signup_acceptances
from organizations.services import personal_organization


class SignupForm(AllauthSignupForm):
    age_confirmed = forms.BooleanField(
        required=True,
        label="I am 16 years of age or older.",
        error_messages={"required": "Kalytera accounts are for people aged 16 or older."},
    )
    policies_accepted = policy_acceptance_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        honeypot = self.fields.get(settings.ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD)
        if honeypot is not None:
            # allauth hides the trap with an inline style, which our CSP blocks; a class does it.
            honeypot.widget.attrs = {"class": "hp-field", "tabindex": "-1", "autocomplete": "off"}
            honeypot.label = "Leave this field empty"
        # The age confirmation belongs after the password, just before the button.
        self.order_fields(["email", "password1", "password2", "age_confirmed"])

    def try_save(self, request: HttpRequest):
        if self.account_already_exists:
            # A new account costs one password hash, by far the slowest step; the answer for a
            # taken address pays it too, so its timing does not tell that the address is known.
            make_password(self.cleaned_data["password1"])
        return super().try_save(request)

    def custom_signup(self, request, user) -> None:
        super().custom_signup(request, user)
        user.age_confirmed_at = timezone.now()
        user.save(update_fields=["age_confirmed_at"])
        record_signup_acceptances(user=user)
        personal_organization(user=user)


class ProfileForm(forms.Form):
    company = forms.CharField(max_length=200, required=False, validators=[text.CharacterValidator()])
    phone = forms.CharField(max_length=40, required=False, help_text=PHONE_FORMAT_HELP)

    def clean_company(self) -> str:
        return " ".join(self.cleaned_data["company"].split())

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])
