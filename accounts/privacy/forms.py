from django import forms


class PrivacyChoicesForm(forms.Form):
    restrict = forms.BooleanField(
        required=False,
        label="Restrict the processing of my data",
        help_text=(
            "Nobody but you can change your account, and we send you no optional email. "
            "Sign-in, security and license notices still reach you."
        ),
    )
    object_to_optional_mail = forms.BooleanField(
        required=False,
        label="I object to optional email",
        help_text="No news or informational messages. Security and license-expiry notices still reach you.",
    )


class DeleteAccountForm(forms.Form):
    confirm_email = forms.EmailField(
        label="Type your email address to confirm",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_confirm_email(self) -> str:
        typed = self.cleaned_data["confirm_email"].strip().lower()
        if typed != self.email:
            raise forms.ValidationError(
                "This is not the email address of your account.", code="email_mismatch"
            )
        return typed
