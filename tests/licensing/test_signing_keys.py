import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from licensing import certificates, signing_checks, signing_keys

TEST_KEY_DIR = Path(__file__).resolve().parents[2] / "docs" / "test-vectors" / "keys"


def check_ids(**kwargs) -> list[str | None]:
    return [message.id for message in signing_checks.check_signing_keys(None)]


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_signing_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- System checks -------------------------------------------------------------------------------


def test_production_without_a_key_directory_is_refused(settings):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = ""

    assert check_ids() == ["licensing.E101"]


def test_production_with_an_empty_key_directory_is_refused(settings, tmp_path):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)

    assert check_ids() == ["licensing.E102"]


def test_production_with_a_missing_key_directory_is_refused(settings, tmp_path):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path / "missing")

    assert check_ids() == ["licensing.E102"]


def test_production_with_an_active_key_passes(settings, tmp_path):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    signing_keys.write_new_key(tmp_path, activate=True)

    assert check_ids() == []


def test_production_with_the_published_test_key_is_refused(settings):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(TEST_KEY_DIR)

    assert "licensing.E103" in check_ids()


def test_readable_private_key_is_warned_about(settings, tmp_path):
    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    kid = signing_keys.write_new_key(tmp_path, activate=True)
    os.chmod(tmp_path / f"{kid}.pem", 0o644)

    assert check_ids() == ["licensing.W101"]


def test_development_needs_no_key(settings):
    settings.DEBUG = True
    settings.LICENSE_SIGNING_KEY_DIR = ""

    assert check_ids() == []


def test_check_command_stops_on_a_missing_key(settings):
    from django.core.management.base import SystemCheckError

    settings.DEBUG = False
    settings.LICENSE_SIGNING_KEY_DIR = ""
    with pytest.raises(SystemCheckError, match=r"licensing\.E101"):
        call_command("check", "--tag", "security")


# --- generate_signing_key ------------------------------------------------------------------------------


def test_generate_prints_only_the_kid_and_writes_a_private_file(settings, tmp_path):
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path / "keys")

    out, err = run("--activate")

    kid = out.strip()
    key_file = tmp_path / "keys" / f"{kid}.pem"
    assert len(kid) == 16
    assert "PRIVATE" not in out + err
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert signing_keys.load_key_set().active_kid == kid
    assert certificates.published_signing_keys()[0]["kid"] == kid


def test_generate_then_activate_rotates_and_keeps_the_old_key(settings, tmp_path):
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    first = run("--activate")[0].strip()
    second, err = run("--activate")

    assert f"{first} is now retired" in err
    assert [(key["kid"], key["status"]) for key in certificates.published_signing_keys()] == [
        (second.strip(), "active"),
        (first, "retired"),
    ]


def test_generate_without_activate_publishes_but_does_not_sign(settings, tmp_path):
    settings.LICENSE_SIGNING_KEY_DIR = str(tmp_path)
    first = run("--activate")[0].strip()
    second = run()[0].strip()

    assert signing_keys.load_key_set().active_kid == first
    assert {key["kid"]: key["status"] for key in certificates.published_signing_keys()} == {
        first: "active",
        second: "retired",
    }


def test_generate_to_a_file_writes_a_loadable_key_and_never_overwrites(tmp_path):
    target = tmp_path / "new.pem"
    kid = run("--output", str(target))[0].strip()

    assert target.stat().st_mode & 0o777 == 0o600
    assert signing_keys._read_key_file(target).kid == kid
    with pytest.raises(CommandError, match="Cannot create"):
        run("--output", str(target))


def test_generate_without_a_directory_explains_what_to_set(settings):
    settings.LICENSE_SIGNING_KEY_DIR = ""

    with pytest.raises(CommandError, match="LICENSE_SIGNING_KEY_DIR"):
        run()


def test_generate_refuses_output_with_activate(tmp_path):
    with pytest.raises(CommandError):
        run("--output", str(tmp_path / "x.pem"), "--activate")
