import hashlib
import hmac
import subprocess
import sys

import pytest

from kalytera_client import identity


def test_fingerprint_is_the_documented_hmac():
    expected = hmac.new(
        b"kalytera-vms/machine-identity/v1", b"fingerprint\0machine-1", hashlib.sha256
    ).hexdigest()

    assert identity.fingerprint("machine-1") == expected


def test_component_digest_is_the_documented_hmac():
    expected = hmac.new(
        b"kalytera-vms/machine-identity/v1", b"component\0board\0mb-123", hashlib.sha256
    ).hexdigest()

    assert identity.component_digest("board", "MB-123") == expected


def test_whitespace_and_case_do_not_change_the_identity():
    assert identity.fingerprint("  ABCDEF-01\n") == identity.fingerprint("abcdef-01")


def test_the_same_part_under_another_name_is_another_component():
    assert identity.component_digest("disk0", "X1") != identity.component_digest("disk1", "X1")


def test_another_application_key_gives_unrelated_digests():
    assert identity.fingerprint("machine-1") != identity.fingerprint(
        "machine-1", application_key=b"other-product"
    )


def test_derive_sorts_components_and_keeps_no_raw_value():
    machine = identity.derive("machine-1", {"nic0": "00:1B:21:3A:4F:5C", "board": "MB-123"})
    reordered = identity.derive("machine-1", {"board": "MB-123", "nic0": "00:1b:21:3a:4f:5c"})

    assert machine == reordered
    assert list(machine.components) == sorted(machine.components)
    assert all(len(digest) == 64 for digest in machine.components)
    assert "MB-123".lower() not in repr(machine) and "00:1b" not in repr(machine)


def test_at_most_sixteen_components():
    with pytest.raises(ValueError, match="16"):
        identity.derive("machine-1", {f"disk{number}": str(number) for number in range(17)})


@pytest.mark.parametrize("name", ["", "Board", "disk 0", "x" * 33, "0disk"])
def test_component_names_are_short_lower_case_words(name):
    with pytest.raises(ValueError):
        identity.component_digest(name, "value")


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_identifiers_are_refused(value):
    with pytest.raises(ValueError):
        identity.fingerprint(value)


def test_the_client_package_imports_nothing_from_django():
    code = (
        "import sys\n"
        "import kalytera_client.cli, kalytera_client.api, kalytera_client.offline, kalytera_client.verify\n"
        "platform = ('django', 'licensing', 'kalytera')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in platform))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
