"""``python -m kalytera_client``: the reference client from the command line.

Exit codes are stable (``docs/vms-client.md``): 0 success or a valid license, 1 a license
that is not valid, 2 wrong usage, 3 a document that fails verification or an answer that
breaks the contract, 4 a file that cannot be read or written, 5 the platform refused
the call, 6 the platform cannot be reached, 141 the reader closed standard output (as a
shell reports a pipe closed by ``| head -1``). The first word a command prints on failure
is a stable code.
"""

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime

from kalytera_client import api, identity, offline
from kalytera_client.artifact import verify_artifact
from kalytera_client.verify import (
    CERTIFICATE,
    DEACTIVATION_RECEIPT,
    VerificationError,
    evaluate,
    load_keys_file,
    parse_timestamp,
    read_document,
    unverified_claims,
)

OK, NOT_VALID, USAGE, REJECTED, FILE_ERROR, REFUSED, UNREACHABLE = range(7)
CLOSED_PIPE = 128 + 13  # SIGPIPE, as a shell reports a command whose reader went away
LICENSE_KEY_VARIABLE = "KALYTERA_LICENSE_KEY"


class Failure(Exception):
    def __init__(self, exit_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code
        self.message = message


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.handler(arguments)
    except Failure as failure:
        print(f"{failure.code}: {failure.message}", file=sys.stderr)
        return failure.exit_code
    except api.Unreachable as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return UNREACHABLE
    except api.BadAnswer as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return REJECTED
    except api.ApiError as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return REFUSED
    except BrokenPipeError:
        # The reader (``| head -1``) has what it wanted. Point standard output at nothing, so
        # that the flush at exit does not fail again, and stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kalytera_client", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="command")

    command = commands.add_parser("verify", help="verify a certificate or receipt offline")
    command.add_argument("document", help="the .lic file, or - for standard input")
    command.add_argument(
        "--keys", required=True, help="the published keys (GET /api/v1/signing-keys) as JSON"
    )
    command.add_argument("--receipt", action="store_true", help="the document is a deactivation receipt")
    machine = command.add_mutually_exclusive_group()
    machine.add_argument("--fingerprint", type=_hex64, help="this machine's fingerprint (64 hex digits)")
    machine.add_argument("--machine-id", help="derive this machine's fingerprint from its machine id")
    command.add_argument(
        "--release-date", type=date.fromisoformat, help="release date of the running version"
    )
    command.add_argument("--now", type=_timestamp, help="judge at this UTC time instead of the clock")
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    command.set_defaults(handler=verify_command)

    command = commands.add_parser(
        "verify-artifact", help="check a downloaded installer against its signature offline"
    )
    command.add_argument("file", help="the installer file")
    command.add_argument("signature", help="its signature file (.sig)")
    command.add_argument(
        "--keys", required=True, help="the published keys (GET /api/v1/signing-keys) as JSON"
    )
    command.add_argument("--product", help="refuse an installer of another product (slug)")
    command.add_argument("--version", help="refuse an installer of another version")
    command.add_argument("--platform", help="refuse an installer for another platform")
    command.set_defaults(handler=verify_artifact_command)

    command = commands.add_parser("fingerprint", help="print the digests this machine sends")
    _identity_arguments(command)
    command.set_defaults(handler=fingerprint_command)

    command = commands.add_parser("keys", help="fetch the published signing keys")
    command.add_argument(
        "--server", required=True, help="the platform, e.g. https://licensing.kalytera.example"
    )
    command.add_argument("--out", help="write the keys to this file (default: standard output)")
    command.set_defaults(handler=keys_command)

    for name, handler, text in (
        ("activate", activate_command, "activate this machine online"),
        ("validate", validate_command, "check in online and refresh the certificate"),
        ("deactivate", deactivate_command, "give up this machine's seat online"),
    ):
        command = commands.add_parser(
            name,
            help=text,
            description=f"The license key is read from ${LICENSE_KEY_VARIABLE} or --license-key-file.",
        )
        command.add_argument(
            "--server", required=True, help="the platform, e.g. https://licensing.kalytera.example"
        )
        command.add_argument("--license-key-file", help="file holding the license key")
        _identity_arguments(command)
        if name != "deactivate":
            command.add_argument("--product-version", help="the running VMS version, e.g. 6.2.1")
        if name == "activate":
            command.add_argument("--name", help="a label for this machine, shown to the customer")
        if name == "validate":
            command.add_argument(
                "--usage", action="append", default=[], metavar="NAME=COUNT", help="opt-in counts"
            )
        command.add_argument("--out", help="write the certificate (or receipt) to this file")
        command.set_defaults(handler=handler)

    command = commands.add_parser(
        "offline-request", help="write an activation request for an air-gapped machine"
    )
    _identity_arguments(command)
    command.add_argument("--name", help="a label for this machine, shown to the customer")
    command.add_argument("--product-version", help="the running VMS version, e.g. 6.2.1")
    command.add_argument("--out", help="write the request to this file (default: standard output)")
    command.set_defaults(handler=offline_request_command)

    command = commands.add_parser(
        "offline-deactivation", help="write a deactivation request for an air-gapped machine"
    )
    _identity_arguments(command)
    command.add_argument("--certificate", help="the certificate this machine gives up")
    command.add_argument("--out", help="write the request to this file (default: standard output)")
    command.set_defaults(handler=offline_deactivation_command)
    return parser


def _identity_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--machine-id", required=True, help="the machine's own id, e.g. from /etc/machine-id"
    )
    command.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a hardware part, e.g. board=SERIAL",
    )


def _hex64(value: str) -> str:
    if len(value) != 64 or any(character not in "0123456789abcdefABCDEF" for character in value):
        raise argparse.ArgumentTypeError("a fingerprint is 64 hex digits")
    return value.lower()


def _timestamp(value: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use a UTC time like 2026-11-23T17:00:00Z") from None


# --- Commands -------------------------------------------------------------------------------------------


def verify_command(arguments) -> int:
    try:
        keys = load_keys_file(arguments.keys)
    except VerificationError as error:
        raise Failure(FILE_ERROR, error.code, error.message) from None
    text = _read_text(arguments.document)
    expected = DEACTIVATION_RECEIPT if arguments.receipt else CERTIFICATE
    try:
        document = read_document(text, keys, expected_type=expected)
    except VerificationError as error:
        if arguments.json:
            _print_json({"code": error.code, "valid": False, "message": error.message})
        raise Failure(REJECTED, error.code, error.message) from None
    if document.type == DEACTIVATION_RECEIPT:
        result = {
            "code": "VERIFIED",
            "valid": True,
            "message": "The receipt is genuine.",
            "kid": document.kid,
        }
    else:
        fingerprint = arguments.fingerprint
        if arguments.machine_id:
            fingerprint = identity.fingerprint(arguments.machine_id)
        status = evaluate(
            document.claims,
            now=arguments.now or datetime.now(UTC),
            fingerprint=fingerprint,
            release_date=arguments.release_date,
        )
        result = {"code": status.code, "valid": status.valid, "message": status.message, "kid": document.kid}
    if arguments.json:
        _print_json({**result, "claims": document.claims})
    else:
        print(f"{result['code']}: {result['message']}")
        for name, value in document.claims.items():
            print(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    return OK if result["valid"] else NOT_VALID


def verify_artifact_command(arguments) -> int:
    try:
        keys = load_keys_file(arguments.keys)
    except VerificationError as error:
        raise Failure(FILE_ERROR, error.code, error.message) from None
    signature = _read_text(arguments.signature)
    try:
        with open(arguments.file, "rb") as handle:
            verified = verify_artifact(
                handle,
                signature,
                keys,
                product=arguments.product,
                version=arguments.version,
                platform=arguments.platform,
            )
    except OSError as error:
        raise Failure(FILE_ERROR, "FILE_ERROR", f"Cannot read {arguments.file}: {error}") from None
    except VerificationError as error:
        raise Failure(REJECTED, error.code, error.message) from None
    claims = verified.claims
    print(
        f"VERIFIED: {claims['filename']} is {claims['product']} {claims['version']} for "
        f"{claims['platform']}, signed by key {verified.kid}."
    )
    return OK


def fingerprint_command(arguments) -> int:
    machine = _identity(arguments)
    _print_json(
        {
            "fingerprint": machine.fingerprint,
            "machine_id": identity.short_id(machine.fingerprint),
            "components": list(machine.components),
        }
    )
    return OK


def keys_command(arguments) -> int:
    client = _client(arguments)
    client.signing_keys(refresh=True)
    _write_or_print(arguments.out, json.dumps(client.keys_answer, indent=2) + "\n")
    return OK


def activate_command(arguments) -> int:
    machine = _identity(arguments)
    result = _client(arguments).activate(
        license_key=_license_key(arguments),
        identity=machine,
        name=arguments.name,
        product_version=arguments.product_version,
    )
    _write_or_print(arguments.out, result.armored)
    outcome = "ACTIVATED" if result.created else "ALREADY_ACTIVE"
    print(f"{outcome} machine id {identity.short_id(machine.fingerprint)}", file=sys.stderr)
    return OK


def validate_command(arguments) -> int:
    usage = {}
    for item in arguments.usage:
        name, _, count = item.partition("=")
        if not name or not count.isdigit():
            raise Failure(USAGE, "INVALID_USAGE", f"--usage takes NAME=COUNT, not {item!r}.")
        usage[name] = int(count)
    result = _client(arguments).validate(
        license_key=_license_key(arguments),
        identity=_identity(arguments),
        product_version=arguments.product_version,
        usage=usage,
    )
    if result.armored and arguments.out:
        _write_or_print(arguments.out, result.armored)
    print(result.code)
    newest = result.answer.get("newest_release")
    if isinstance(newest, dict):
        print(
            f"Newest release this license covers: {newest.get('version')} "
            f"(released {newest.get('released_on')}; notes: {newest.get('notes_url')})"
        )
    for advisory in result.advisories:
        print(advisory_line(advisory), file=sys.stderr)
    return OK if result.valid else NOT_VALID


def advisory_line(advisory: dict) -> str:
    """How a VMS might show a security advisory that affects the version it runs."""
    fix = (
        f"update to {advisory['fixed_version']}"
        if advisory.get("fixed_version")
        else "no fix yet, see the advisory"
    )
    return (
        f"SECURITY ADVISORY {advisory.get('id')} ({advisory.get('severity')}, CVSS {advisory.get('score')}): "
        f"{advisory.get('title')}; {fix}. {advisory.get('url')}"
    )


def deactivate_command(arguments) -> int:
    result = _client(arguments).deactivate(license_key=_license_key(arguments), identity=_identity(arguments))
    _write_or_print(arguments.out, result.armored)
    print("DEACTIVATED", file=sys.stderr)
    return OK


def offline_request_command(arguments) -> int:
    try:
        text = offline.activation_request(
            _identity(arguments), name=arguments.name, product_version=arguments.product_version
        )
    except ValueError as error:
        raise Failure(USAGE, "INVALID_REQUEST", str(error)) from None
    _write_or_print(arguments.out, text)
    return OK


def offline_deactivation_command(arguments) -> int:
    certificate_id = None
    if arguments.certificate:
        # The id is read without verifying: the request only names what the machine gives up.
        certificate_id = _unverified_certificate_id(_read_text(arguments.certificate))
    text = offline.deactivation_request(_identity(arguments), certificate_id=certificate_id)
    _write_or_print(arguments.out, text)
    return OK


# --- Helpers ------------------------------------------------------------------------------------------


def _identity(arguments) -> identity.MachineIdentity:
    components = {}
    for item in arguments.component:
        name, separator, value = item.partition("=")
        if not separator or not value:
            raise Failure(USAGE, "INVALID_COMPONENT", f"--component takes NAME=VALUE, not {item!r}.")
        components[name] = value
    try:
        return identity.derive(arguments.machine_id, components)
    except ValueError as error:
        raise Failure(USAGE, "INVALID_COMPONENT", str(error)) from None


def _client(arguments) -> api.LicensingClient:
    try:
        return api.LicensingClient(arguments.server)
    except ValueError as error:
        raise Failure(USAGE, "INVALID_SERVER", str(error)) from None


def _license_key(arguments) -> str:
    # Never from the command line itself: other users of the machine can read process arguments.
    if arguments.license_key_file:
        key = _read_text(arguments.license_key_file).strip()
    else:
        key = os.environ.get(LICENSE_KEY_VARIABLE, "").strip()
    if not key:
        raise Failure(USAGE, "NO_LICENSE_KEY", f"Set {LICENSE_KEY_VARIABLE} or pass --license-key-file.")
    return key


def _unverified_certificate_id(text: str) -> str | None:
    try:
        return unverified_claims(text).get("id")
    except VerificationError as error:
        raise Failure(REJECTED, error.code, f"The certificate file is unusable: {error.message}") from None


def _read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(FILE_ERROR, "FILE_ERROR", f"Cannot read {path}: {error}") from None


def _write_or_print(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise Failure(FILE_ERROR, "FILE_ERROR", f"Cannot write {path}: {error}") from None


def _print_json(value: dict) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))
