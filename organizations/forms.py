from typing import cast

from django import forms

from organizations.models import Membership


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Your company's name, as your colleagues know it.")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name


class MemberChangeForm(forms.Form):
    """A change to one member: a new role, or removal. The last owner names a successor."""

    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    successor = forms.TypedChoiceField(
        label="New owner", coerce=int, required=False, empty_value=None,
        help_text="Needed when the last owner steps down or leaves.",
    )  # fmt: skip

    def __init__(self, *args, members: list[Membership], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        successor = cast(forms.TypedChoiceField, self.fields["successor"])
        successor.choices = [("", "—")] + [(m.pk, m.user.email) for m in members]


class InvitationForm(forms.Form):
    """An address and the role it is offered; managers are offered the viewer and manager roles only."""

    email = forms.EmailField(max_length=254, label="Email address")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.VIEWER)

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = roles


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="Where it is used, e.g. your NOC's monitoring.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name
