import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cryptography
import pytest

from kalytera_client import cli, identity, offline
from licensing import certificates
from tests.kalytera_client import vectors
from tests.kalytera_client.vectors import ROOT

KEYS = str(vectors.VECTOR_DIR / "keys.json")
SUBSCRIPTION = str(vectors.VECTOR_DIR / "valid-subscription.lic")
LICENSE_KEY = "KLY1-ABCD-EFGH-JKMN-PQRS-TVWX"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_prints_the_status_and_the_claims(capsys):
    code, out, _ = run(capsys, "verify", SUBSCRIPTION, "--keys", KEYS, "--now", "2026-11-15T00:00:00Z")

    assert code == 0
    assert out.splitlines()[0] == "VALID: Valid; check in before 2026-12-31T00:00:00Z."
    assert "  channels: 16" in out


def test_verify_with_the_machine_id_checks_the_fingerprint(capsys):
    arguments = ["verify", SUBSCRIPTION, "--keys", KEYS, "--now", "2026-11-15T00:00:00Z"]

    assert run(capsys, *arguments, "--machine-id", vectors.MACHINE_ID)[0] == 0
    code, out, _ = run(capsys, *arguments, "--machine-id", vectors.OTHER_MACHINE_ID)
    assert (code, out.split(":")[0]) == (1, "FINGERPRINT_MISMATCH")


def test_verify_grace_is_valid_and_expired_is_not(capsys):
    code, out, _ = run(capsys, "verify", SUBSCRIPTION, "--keys", KEYS, "--now", "2026-12-02T00:00:00Z")
    assert (code, out.split(":")[0]) == (0, "GRACE_PERIOD")

    code, out, _ = run(capsys, "verify", SUBSCRIPTION, "--keys", KEYS, "--now", "2027-01-01T00:00:00Z")
    assert (code, out.split(":")[0]) == (1, "EXPIRED")


def test_verify_json_output(capsys):
    code, out, _ = run(
        capsys,
        "verify",
        SUBSCRIPTION,
        "--keys",
        KEYS,
        "--now",
        "2026-11-15T00:00:00Z",
        "--release-date",
        "2027-11-02",
        "--json",
    )

    result = json.loads(out)
    assert (code, result["code"], result["valid"]) == (1, "VERSION_NOT_COVERED", False)
    assert result["claims"]["license_id"] == "test-license-1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invalid-tampered-claim.lic", "BAD_SIGNATURE"),
        ("invalid-unknown-kid.lic", "UNKNOWN_KEY"),
        ("invalid-truncated-text.lic", "MALFORMED"),
        ("valid-receipt.lic", "WRONG_TYPE"),
    ],
)
def test_verify_rejects_bad_documents_with_exit_3_and_the_code(capsys, name, expected):
    code, _, err = run(capsys, "verify", str(vectors.VECTOR_DIR / name), "--keys", KEYS)

    assert code == 3
    assert err.startswith(f"{expected}: ")


def test_verify_a_receipt(capsys):
    code, out, _ = run(
        capsys, "verify", str(vectors.VECTOR_DIR / "valid-receipt.lic"), "--keys", KEYS, "--receipt"
    )

    assert (code, out.split(":")[0]) == (0, "VERIFIED")


def test_verify_reads_standard_input(capsys, monkeypatch):
    import io

    monkeypatch.setattr(
        sys, "stdin", io.StringIO(vectors.VECTOR_DIR.joinpath("valid-perpetual.lic").read_text())
    )
    code, out, _ = run(capsys, "verify", "-", "--keys", KEYS, "--now", "2026-11-15T00:00:00Z")

    assert (code, out.split(":")[0]) == (0, "VALID")


def test_missing_or_bad_key_file_is_exit_4(capsys, tmp_path):
    assert run(capsys, "verify", SUBSCRIPTION, "--keys", str(tmp_path / "none.json"))[0] == 4
    (tmp_path / "keys.json").write_text(
        '{"keys": [{"kid": "0000000000000000", "alg": "Ed25519", "public_key": "AAAA"}]}'
    )
    code, _, err = run(capsys, "verify", SUBSCRIPTION, "--keys", str(tmp_path / "keys.json"))
    assert (code, err.split(":")[0]) == (4, "KEYS_INVALID")


def test_missing_document_is_exit_4(capsys, tmp_path):
    code, _, err = run(capsys, "verify", str(tmp_path / "none.lic"), "--keys", KEYS)

    assert (code, err.split(":")[0]) == (4, "FILE_ERROR")


def test_wrong_usage_is_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["verify", SUBSCRIPTION])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        cli.main(["verify", SUBSCRIPTION, "--keys", KEYS, "--now", "yesterday"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        cli.main(["verify", SUBSCRIPTION, "--keys", KEYS, "--fingerprint", "abc"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        cli.main(["verify", SUBSCRIPTION, "--keys", KEYS, "--fingerprint", "a" * 64, "--machine-id", "m"])
    assert caught.value.code == 2


def test_verify_with_an_upper_case_fingerprint(capsys):
    fingerprint = vectors.FINGERPRINT.upper()
    code, out, _ = run(
        capsys,
        "verify",
        SUBSCRIPTION,
        "--keys",
        KEYS,
        "--now",
        "2026-11-15T00:00:00Z",
        "--fingerprint",
        fingerprint,
    )

    assert (code, out.split(":")[0]) == (0, "VALID")


def test_fingerprint_prints_digests_only(capsys):
    code, out, _ = run(capsys, "fingerprint", "--machine-id", vectors.MACHINE_ID, "--component", "board=MB-1")

    assert code == 0
    assert json.loads(out) == {
        "fingerprint": vectors.FINGERPRINT,
        "machine_id": f"{vectors.FINGERPRINT[:4]}-{vectors.FINGERPRINT[4:8]}",
        "components": [identity.component_digest("board", "MB-1")],
    }
    assert vectors.MACHINE_ID not in out and "MB-1" not in out


def test_bad_component_argument_is_exit_2(capsys):
    code, _, err = run(capsys, "fingerprint", "--machine-id", "m", "--component", "board")

    assert (code, err.split(":")[0]) == (2, "INVALID_COMPONENT")


def test_offline_request_is_written_and_parses(capsys, tmp_path):
    target = tmp_path / "request.txt"
    code, _, _ = run(
        capsys,
        "offline-request",
        "--machine-id",
        vectors.MACHINE_ID,
        "--component",
        "board=MB-1",
        "--name",
        "Gate",
        "--product-version",
        "6.2.1",
        "--out",
        str(target),
    )

    parsed = offline.parse_request(target.read_text())
    assert code == 0
    assert (parsed.fingerprint, parsed.name, parsed.product_version) == (vectors.FINGERPRINT, "Gate", "6.2.1")


def test_offline_request_to_standard_output(capsys):
    code, out, _ = run(capsys, "offline-request", "--machine-id", vectors.MACHINE_ID)

    assert code == 0 and offline.parse_request(out).components == ()


def test_offline_deactivation_names_the_certificate(capsys):
    code, out, _ = run(
        capsys, "offline-deactivation", "--machine-id", vectors.MACHINE_ID, "--certificate", SUBSCRIPTION
    )

    parsed = offline.parse_request(out, expected_type=offline.DEACTIVATION_REQUEST)
    assert (code, parsed.certificate_id) == (0, vectors.SUBSCRIPTION["id"])


def test_offline_deactivation_refuses_a_file_that_is_no_certificate(capsys, tmp_path):
    (tmp_path / "note.txt").write_text("hello")
    code, _, err = run(
        capsys, "offline-deactivation", "--machine-id", "m", "--certificate", str(tmp_path / "note.txt")
    )

    assert (code, err.split(":")[0]) == (3, "MALFORMED")


# --- Online commands against the local stub ----------------------------------------------------------


@pytest.fixture
def platform(stub_platform):
    stub_platform.answer("/api/v1/signing-keys", 200, {"keys": certificates.published_signing_keys()})
    return stub_platform


def certificate(fingerprint: str) -> dict:
    document = certificates.issue_certificate(
        license_id="lic-1",
        plan="Pro",
        kind="perpetual",
        channels=8,
        features=[],
        fingerprint=fingerprint,
        expires_at=None,
        upgrade_plan_until=None,
        grace_days=0,
        offline_validity_days=30,
    )
    return {"id": document.document_id, "kid": document.kid, "issued_at": "-", "armored": document.armored}


def test_activate_writes_the_certificate_with_the_key_from_the_environment(
    capsys, platform, tmp_path, monkeypatch
):
    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    platform.answer(
        "/api/v1/activations",
        201,
        lambda body: {"activation": {}, "license": {}, "certificate": certificate(body["fingerprint"])},
    )
    target = tmp_path / "machine.lic"

    code, _, err = run(
        capsys, "activate", "--server", platform.url, "--machine-id", "m-1", "--out", str(target)
    )

    assert (code, err.strip()) == (
        0,
        f"ACTIVATED machine id {identity.short_id(identity.fingerprint('m-1'))}",
    )
    assert "BEGIN KALYTERA LICENSE CERTIFICATE" in target.read_text()
    assert platform.requests[0]["body"]["license_key"] == LICENSE_KEY


def test_license_key_from_a_file(capsys, platform, tmp_path, monkeypatch):
    monkeypatch.delenv("KALYTERA_LICENSE_KEY", raising=False)
    (tmp_path / "key").write_text(LICENSE_KEY + "\n")
    platform.answer("/api/v1/validate", 200, {"valid": False, "code": "SUSPENDED"})

    code, out, _ = run(
        capsys,
        "validate",
        "--server",
        platform.url,
        "--machine-id",
        "m-1",
        "--license-key-file",
        str(tmp_path / "key"),
    )

    assert (code, out.strip()) == (1, "SUSPENDED")
    assert platform.requests[0]["body"]["license_key"] == LICENSE_KEY


def test_online_commands_need_a_license_key(capsys, platform, monkeypatch):
    monkeypatch.delenv("KALYTERA_LICENSE_KEY", raising=False)

    code, _, err = run(capsys, "validate", "--server", platform.url, "--machine-id", "m-1")

    assert (code, err.split(":")[0]) == (2, "NO_LICENSE_KEY")


def test_refusal_is_exit_5_with_the_api_code(capsys, platform, monkeypatch):
    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    platform.answer(
        "/api/v1/deactivate", 409, {"error": {"code": "MOVE_LIMIT", "message": "No moves left this year."}}
    )

    code, _, err = run(capsys, "deactivate", "--server", platform.url, "--machine-id", "m-1")

    assert (code, err.strip()) == (5, "MOVE_LIMIT: No moves left this year.")


def test_unreachable_platform_is_exit_6(capsys, monkeypatch):
    from tests.servers import free_port

    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    code, _, err = run(
        capsys, "validate", "--server", f"http://127.0.0.1:{free_port()}", "--machine-id", "m-1"
    )

    assert (code, err.split(":")[0]) == (6, "UNREACHABLE")


def test_validate_with_usage_counts(capsys, platform, monkeypatch, tmp_path):
    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    platform.answer(
        "/api/v1/validate",
        200,
        lambda body: {"valid": True, "code": "VALID", "certificate": certificate(body["fingerprint"])},
    )

    code, out, _ = run(
        capsys,
        "validate",
        "--server",
        platform.url,
        "--machine-id",
        "m-1",
        "--usage",
        "cameras=12",
        "--out",
        str(tmp_path / "fresh.lic"),
    )

    assert (code, out.strip()) == (0, "VALID")
    assert platform.requests[0]["body"]["usage"] == {"cameras": 12}
    assert (tmp_path / "fresh.lic").exists()
    assert (
        run(capsys, "validate", "--server", platform.url, "--machine-id", "m-1", "--usage", "cameras")[0] == 2
    )


def test_keys_command_saves_the_published_keys_for_offline_use(capsys, platform, tmp_path):
    target = tmp_path / "keys.json"

    assert run(capsys, "keys", "--server", platform.url, "--out", str(target))[0] == 0
    assert run(capsys, "verify", SUBSCRIPTION, "--keys", str(target), "--now", "2026-11-15T00:00:00Z")[0] == 0


def test_module_entry_point():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kalytera_client",
            "verify",
            SUBSCRIPTION,
            "--keys",
            KEYS,
            "--now",
            "2026-11-15T00:00:00Z",
        ],
        capture_output=True,
        text=True,
    )

    assert (result.returncode, result.stdout.split(":")[0]) == (0, "VALID")


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head -1` does once it has its line
    done = subprocess.run(
        [sys.executable, "-m", "kalytera_client", "fingerprint", "--machine-id", "machine-1"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    os.close(write_end)
    assert (done.returncode, done.stderr) == (cli.CLOSED_PIPE, "")


@pytest.mark.slow
def test_the_client_installs_with_pip_and_runs_from_any_directory(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    build = tmp_path / "source"
    shutil.copytree(ROOT / "kalytera_client", build, ignore=shutil.ignore_patterns("__pycache__"))
    # pip fetches the build backend (setuptools) from the package index it is configured with.
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", build], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    # cryptography from this environment: the test installs nothing from the network.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "platform-deps.pth").write_text(str(Path(cryptography.__file__).parent.parent))
    done = subprocess.run(
        [python, "-m", "kalytera_client", "fingerprint", "--machine-id", "machine-1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fingerprint"] == identity.fingerprint("machine-1")


def test_validate_shows_the_newest_release_the_license_covers(capsys, platform, monkeypatch):
    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    newest = {
        "version": "6.3.0",
        "released_on": "2026-11-10",
        "notes_url": "https://licensing.kalytera.example/releases/kalytera-vms/6.3.0/",
    }
    platform.answer(
        "/api/v1/validate",
        200,
        lambda body: {
            "valid": True,
            "code": "VALID",
            "certificate": certificate(body["fingerprint"]),
            "newest_release": newest,
        },
    )

    code, out, _ = run(capsys, "validate", "--server", platform.url, "--machine-id", "m-1")

    assert code == 0
    assert out.splitlines() == [
        "VALID",
        "Newest release this license covers: 6.3.0 (released 2026-11-10; "
        "notes: https://licensing.kalytera.example/releases/kalytera-vms/6.3.0/)",
    ]


def test_validate_shows_the_security_advisories_for_the_running_version(capsys, platform, monkeypatch):
    monkeypatch.setenv("KALYTERA_LICENSE_KEY", LICENSE_KEY)
    advisory = {
        "id": "KSA-2027-001",
        "title": "Authentication bypass",
        "severity": "critical",
        "score": 9.8,
        "fixed_version": "6.2.2",
        "url": "https://kalytera.example/security/advisories/KSA-2027-001/",
    }
    platform.answer(
        "/api/v1/validate",
        200,
        lambda body: {
            "valid": True,
            "code": "VALID",
            "certificate": certificate(body["fingerprint"]),
            "advisories": [advisory, {**advisory, "id": "KSA-2027-002", "fixed_version": None}],
        },
    )

    code, out, err = run(
        capsys, "validate", "--server", platform.url, "--machine-id", "m-1", "--product-version", "6.2.1"
    )

    assert (code, out.strip()) == (0, "VALID")
    assert err.splitlines() == [
        "SECURITY ADVISORY KSA-2027-001 (critical, CVSS 9.8): Authentication bypass; update to 6.2.2. "
        "https://kalytera.example/security/advisories/KSA-2027-001/",
        "SECURITY ADVISORY KSA-2027-002 (critical, CVSS 9.8): Authentication bypass; "
        "no fix yet, see the advisory. "
        "https://kalytera.example/security/advisories/KSA-2027-001/",
    ]
