"""Releases and installers for the release tests: published ones with small signed files."""

from datetime import date

from django.core.files.base import ContentFile

from licensing import releases
from licensing.models import Product, Release, ReleaseArtifact
from licensing.services import releases as release_services

INSTALLER = b"Kalytera VMS TEST installer\n" * 400  # 11200 bytes


def release(product: Product, version: str, released_on: date, **fields) -> Release:
    defaults = {"released_on": released_on, "state": Release.State.PUBLISHED, **fields}
    made, _ = Release.objects.update_or_create(product=product, version=version, defaults=defaults)
    releases.forget_published()  # as the release admin does
    return made


def artifact(
    release: Release, platform: str = "linux-x64-deb", content: bytes = INSTALLER
) -> ReleaseArtifact:
    upload = ContentFile(content, name=f"kalytera-vms-{release.version}-{platform}.deb")
    return release_services.store_artifact(
        artifact=ReleaseArtifact(release=release, platform=platform), upload=upload
    )
