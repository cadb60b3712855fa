from django import forms
from django.conf import settings

from community.models import Category
from community.services import DISPLAY_NAME_MAX, TITLE_MAX
from contact.spam import HONEYPOT_FIELD
from kalytera.text import CharacterValidator
from licensing.models import Release
from licensing.versions import sort_key

BODY_HELP = (
    "Markdown works: **bold**, `code`, lists, links. Please leave out license keys, passwords "
    "and anything about your cameras' locations."
)


def _body_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=settings.COMMUNITY_MAX_POST_CHARS,
        help_text=BODY_HELP,
        validators=[CharacterValidator(multiline=True)],
        error_messages={
            "max_length": "Please shorten your post to %(limit_value)s characters (it has %(show_value)s)."
        },
    )


class ReleaseChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Release) -> str:
        return f"{obj.product.name} {obj.version}"


def releases_newest_first() -> list[Release]:
    """The published releases, newest version first (by ``licensing.versions``, not by text)."""
    releases = list(Release.objects.select_related("product"))
    return sorted(releases, key=lambda r: (r.product.name, sort_key(r.version)), reverse=True)


class TrapMixin(forms.Form):
    # The contact form's trap: people never see it (hidden by a CSS class), programs fill it in.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"class": "hp-field", "tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    @property
    def is_trapped(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())


class TopicForm(TrapMixin):
    title = forms.CharField(
        max_length=TITLE_MAX,
        validators=[CharacterValidator()],
        help_text="A question or a short summary, e.g. “Camera stream drops after upgrading to 6.2”.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)
    release = ReleaseChoice(
        queryset=Release.objects.select_related("product"),
        required=False,
        label="Version (optional)",
        empty_label="Not about one version",
    )
    body = _body_field("Your question or idea")
    field_order = ["title", "category", "release", "body", "website", "form_token"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["release"].choices = [("", "Not about one version")] + [  # type: ignore[attr-defined]
            (r.pk, f"{r.product.name} {r.version}") for r in releases_newest_first()
        ]


class ReplyForm(TrapMixin):
    body = _body_field("Your reply")


class EditForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, required=False, validators=[CharacterValidator()])
    body = _body_field("Text")


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        max_length=DISPLAY_NAME_MAX,
        validators=[CharacterValidator()],
        help_text=(
            "Shown with everything you post, instead of your email address (which we never show). "
            "3 to 30 letters, digits, spaces, dots, hyphens or underscores. You can change it later; "
            "moderators see earlier names."
        ),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="What is wrong with this post?",
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[CharacterValidator(multiline=True)],
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, empty_label="All categories"
    )
    release = ReleaseChoice(
        queryset=Release.objects.select_related("product"),
        required=False,
        label="Version",
        empty_label="Any version",
    )
    answered = forms.ChoiceField(
        choices=[("", "Answered or not"), ("yes", "Answered"), ("no", "Unanswered")],
        required=False,
        label="Status",
    )
