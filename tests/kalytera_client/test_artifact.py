"""Installer signatures: the published vectors hold for the reference client and the platform."""

import io
import json

import pytest

from kalytera_client import artifact, cli, verify
from licensing import certificates
from tests.kalytera_client import artifact_vectors, vectors

DIRECTORY = artifact_vectors.DIRECTORY
MANIFEST = json.loads((DIRECTORY / "artifacts.json").read_text(encoding="utf-8"))
KEYS = verify.load_keys(json.loads((vectors.VECTOR_DIR / "keys.json").read_text(encoding="utf-8")))
CASES = MANIFEST["cases"]


def case_id(case: dict) -> str:
    return f"{case['signature']}+{case['file']}:{case['result']}"


def test_artifact_vector_files_are_exactly_what_the_generator_makes():
    for name, content in artifact_vectors.build().items():
        assert (DIRECTORY / name).read_bytes() == content, f"{name} differs; regenerate the vectors"


def test_artifact_vectors_cover_every_outcome():
    assert {case["result"] for case in CASES} == {
        "VERIFIED",
        "DIGEST_MISMATCH",
        "SIZE_MISMATCH",
        "WRONG_ARTIFACT",
        "BAD_SIGNATURE",
        "WRONG_TYPE",
    }


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_reference_client_agrees_with_the_vector(case):
    signature = (DIRECTORY / case["signature"]).read_text(encoding="utf-8")
    with (DIRECTORY / case["file"]).open("rb") as file:
        if case["result"] == "VERIFIED":
            verified = artifact.verify_artifact(file, signature, KEYS, **case.get("expect", {}))
            assert verified.claims == case["claims"]
        else:
            with pytest.raises(verify.VerificationError) as caught:
                artifact.verify_artifact(file, signature, KEYS, **case.get("expect", {}))
            assert caught.value.code == case["result"]


@pytest.mark.parametrize(
    "case", [case for case in CASES if case["result"] == "VERIFIED"], ids=lambda case: case["signature"]
)
def test_platform_verifies_the_valid_signatures(case):
    signature = (DIRECTORY / case["signature"]).read_text(encoding="utf-8")
    assert certificates.verify(signature, expected_type=certificates.RELEASE_ARTIFACT) == case["claims"]


def test_platform_signs_the_vector_byte_for_byte():
    # The tests sign with the active TEST key; Ed25519 and the manifest are deterministic.
    claims = CASES[0]["claims"]
    signed = certificates.sign_artifact(
        product=claims["product"],
        version=claims["version"],
        platform=claims["platform"],
        filename=claims["filename"],
        size=claims["size"],
        sha256=claims["sha256"],
    )
    assert signed.armored == (DIRECTORY / "valid.sig").read_text(encoding="utf-8")


def test_a_license_certificate_is_not_an_installer_signature():
    certificate = (vectors.VECTOR_DIR / "valid-subscription.lic").read_text(encoding="utf-8")
    with pytest.raises(verify.VerificationError) as caught:
        artifact.verify_artifact(io.BytesIO(b""), certificate, KEYS)
    assert caught.value.code == "WRONG_TYPE"


def test_a_longer_file_is_refused_without_reading_it_all():
    signature = (DIRECTORY / "valid.sig").read_text(encoding="utf-8")
    content = artifact_vectors.installer_bytes() + b"x" * (3 * artifact.CHUNK_SIZE)
    file = io.BytesIO(content)
    with pytest.raises(verify.VerificationError) as caught:
        artifact.verify_artifact(file, signature, KEYS)
    assert caught.value.code == "SIZE_MISMATCH"
    assert file.tell() <= artifact.CHUNK_SIZE


def test_command_line_verifies_an_installer(capsys):
    code = cli.main(
        [
            "verify-artifact",
            str(DIRECTORY / artifact_vectors.INSTALLER),
            str(DIRECTORY / "valid.sig"),
            "--keys",
            str(vectors.VECTOR_DIR / "keys.json"),
            "--version",
            "6.3.0",
        ]
    )
    assert code == cli.OK
    assert capsys.readouterr().out.startswith(
        "VERIFIED: kalytera-vms-6.3.0-linux-x64.deb is kalytera-vms 6.3.0"
    )


def test_command_line_refuses_a_tampered_installer(capsys):
    code = cli.main(
        [
            "verify-artifact",
            str(DIRECTORY / artifact_vectors.TAMPERED),
            str(DIRECTORY / "valid.sig"),
            "--keys",
            str(vectors.VECTOR_DIR / "keys.json"),
        ]
    )
    assert code == cli.REJECTED
    assert capsys.readouterr().err.startswith("DIGEST_MISMATCH:")
