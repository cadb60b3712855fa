"""Staff pages for releases: notes and state, and the upload of signed installer files.

An installer is uploaded on the artifact's add page (under ``LARGE_UPLOADS``, so the body
may be large and is hashed as it arrives, see ``kalytera.uploads``), then stored and
signed by ``licensing.services.releases.store_artifact``. An artifact is never edited: a
corrected file is a new upload after deleting the old one.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from licensing import certificates, releases
from licensing.models import Release, ReleaseArtifact
from licensing.services import LicensingError
from licensing.services import releases as release_services


class ReleaseForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["product", "version", "released_on", "state", "notes", "withdrawn_reason"]

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("state") == Release.State.WITHDRAWN and not (data.get("withdrawn_reason") or "").strip():
            self.add_error(
                "withdrawn_reason", "Say why the release is withdrawn and what to install instead."
            )
        renamed = {"product", "version"} & set(self.changed_data)
        if renamed and self.instance.pk is not None and self.instance.artifacts.exists():
            # The installers' signatures name the product and version: they would no longer match.
            for field in sorted(renamed):
                self.add_error(field, "Its installers are signed for this value: delete them first.")
        return data


class ArtifactInline(admin.TabularInline):
    model = ReleaseArtifact
    fields = ("platform", "filename", "size_display", "sha256")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="size")
    def size_display(self, artifact: ReleaseArtifact) -> str:
        return filesizeformat(artifact.size)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    form = ReleaseForm
    list_display = ("product", "version", "released_on", "state")
    list_filter = ("product", "state")
    search_fields = ("version",)
    inlines = [ArtifactInline]
    readonly_fields = ("installers",)

    @admin.display(description="Installers")
    def installers(self, release: Release) -> str:
        if release.pk is None:
            return "Save the release, then upload its installers."
        url = reverse("admin:licensing_releaseartifact_add")
        return format_html(
            '<a href="{}?release={}">Upload an installer</a> (one per platform)', url, release.pk
        )

    def save_model(self, request: HttpRequest, obj: Release, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        releases.forget_published()  # this process at once; the others within a minute

    def delete_model(self, request: HttpRequest, obj: Release) -> None:
        for artifact in obj.artifacts.all():
            release_services.delete_artifact(artifact=artifact)
        obj.delete()
        releases.forget_published()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Release]) -> None:
        for release in queryset:
            self.delete_model(request, release)


class ArtifactUploadForm(forms.ModelForm):
    upload = forms.FileField(
        label="Installer file",
        help_text="Stored, hashed (SHA-256) and signed with the platform's active signing key.",
    )

    class Meta:
        model = ReleaseArtifact
        fields = ["release", "platform"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        release = self.fields["release"]
        assert isinstance(release, forms.ModelChoiceField)
        release.queryset = Release.objects.select_related("product")

    def clean_platform(self) -> str:
        platform = self.cleaned_data["platform"]
        if not certificates.PLATFORM.match(platform):
            raise ValidationError("Write the platform in lower case, e.g. windows-x64 or linux-x64-deb.")
        return platform

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            release_services.safe_filename(upload.name or "")
        except LicensingError as exc:
            raise ValidationError(exc.message) from None
        return upload


@admin.register(ReleaseArtifact)
class ReleaseArtifactAdmin(admin.ModelAdmin):
    list_display = ("release", "platform", "filename", "size", "created_at")
    list_filter = ("release__product",)
    search_fields = ("filename", "release__version")
    readonly_fields = ("release", "platform", "filename", "size", "sha256", "signature", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReleaseArtifact]:
        return super().get_queryset(request).select_related("release__product")

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = ArtifactUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["release", "platform", "upload"]
        return list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ReleaseArtifact, form, change: bool) -> None:
        if not change:
            release_services.store_artifact(artifact=obj, upload=form.cleaned_data["upload"])

    def delete_model(self, request: HttpRequest, obj: ReleaseArtifact) -> None:
        release_services.delete_artifact(artifact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReleaseArtifact]) -> None:
        for artifact in queryset:
            release_services.delete_artifact(artifact=artifact)
