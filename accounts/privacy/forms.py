from django import forms

from organizations.models import Membership, Organization


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

    def __init__(
        self,
        *args,
        email: str,
        ownerships: list[tuple[Organization, list[Membership]]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.ownerships = ownerships or []
        # One choice per organization the person alone owns while others are members.
        for organization, members in self.ownerships:
            self.fields[f"successor_{organization.pk}"] = forms.TypedChoiceField(
                label=f"New owner of {organization}",
                coerce=int,
                choices=[("", "Choose a member")]
                + [(m.pk, f"{m.user.email} ({m.get_role_display().lower()})") for m in members],
                help_text=(
                    "You are its only owner. If this person has left by the time we delete your "
                    "account, its longest-standing manager (else member) becomes owner."
                ),
            )

    def successors(self) -> dict[int, int]:
        """Organization id to the membership id named as its new owner."""
        return {
            organization.pk: self.cleaned_data[f"successor_{organization.pk}"]
            for organization, _members in self.ownerships
        }

    def clean_confirm_email(self) -> str:
        typed = self.cleaned_data["confirm_email"].strip().lower()
        if typed != self.email:
            raise forms.ValidationError(
                "This is not the email address of your account.", code="email_mismatch"
            )
        return typed
