"""System checks for the license signing keys. The pepper has its own checks in ``licensing.checks``.

A VMS trusts only documents signed by a published key, so the platform must not start in
production without a usable active key. In development (``DEBUG``) a key is created on
first use instead, so these checks stay silent there.
"""

import stat

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from licensing import signing_keys


@register(Tags.security)
def check_signing_keys(app_configs, **kwargs) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    directory = signing_keys.key_directory()
    if directory is None:
        return [
            Error(
                "No license signing key is configured.",
                hint=(
                    "Set LICENSE_SIGNING_KEY_DIR to a private directory and run "
                    "`manage.py generate_signing_key --activate`."
                ),
                id="licensing.E101",
            )
        ]
    try:
        key_set = signing_keys.read_key_directory(directory)
        active = key_set.active
    except signing_keys.SigningKeyError as exc:
        return [
            Error(
                f"The license signing keys cannot be used: {exc}",
                hint="Run `manage.py generate_signing_key --activate`, or repair the file named above.",
                id="licensing.E102",
            )
        ]
    problems: list[CheckMessage] = []
    for key in key_set.keys.values():
        if key.private_key is not None and key.path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            problems.append(
                Warning(
                    f"The private signing key {key.path} can be read by other users.",
                    hint=f"chmod 600 {key.path}",
                    id="licensing.W101",
                )
            )
    if active.kid in _known_public_kids():
        problems.append(
            Error(
                f"The active license signing key {active.kid} is a development or published test key.",
                hint="Point LICENSE_SIGNING_KEY_DIR at the production key directory.",
                id="licensing.E103",
            )
        )
    return problems


def _known_public_kids() -> set[str]:
    """Kids of keys whose private half is not secret: this checkout's development key, the test key."""
    kids = set()
    for directory in (
        settings.BASE_DIR / ".signing-keys",
        settings.BASE_DIR / "docs" / "test-vectors" / "keys",
    ):
        if directory.is_dir():
            try:
                kids |= set(signing_keys.read_key_directory(directory).keys)
            except signing_keys.SigningKeyError:
                continue
    return kids
