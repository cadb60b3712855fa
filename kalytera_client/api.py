"""Online activation, validation and deactivation against the machine API v1.

JSON over HTTPS with the standard library. Every call sends a fresh ``nonce`` and refuses
an answer that does not echo it; every certificate or receipt in an answer is verified
against the published signing keys (fetched once, and again when a new kid appears
after a key rotation) before it is handed back.
"""

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from kalytera_client import __version__
from kalytera_client.identity import MachineIdentity
from kalytera_client.verify import (
    CERTIFICATE,
    DEACTIVATION_RECEIPT,
    Document,
    VerificationError,
    load_keys,
    parse_timestamp,
    read_document,
)

MAX_ANSWER_BYTES = 1_000_000


class ApiError(Exception):
    """The platform refused the call. ``code`` is the API's stable error code."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict | None = None,
        retry_after=None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}
        self.retry_after = retry_after


class Unreachable(ApiError):
    """No answer (network down, DNS, timeout, 5xx): a VMS keeps running on its certificate."""


class BadAnswer(ApiError):
    """An answer that breaks the contract: not JSON, wrong nonce, or a document that fails verification."""


@dataclass(frozen=True)
class Activation:
    created: bool
    activation: dict
    license: dict
    certificate: Document
    armored: str


@dataclass(frozen=True)
class Validation:
    valid: bool
    code: str
    answer: dict
    certificate: Document | None
    armored: str | None
    # Published security advisories affecting the reported version: each with id, title,
    # severity, score, fixed_version (or None) and url. Show them to the operator.
    advisories: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Deactivation:
    receipt: Document
    armored: str


class LicensingClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0, keys: dict | None = None) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("The platform address must start with https:// (or http:// for a local test).")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._keys = keys
        self.keys_answer: dict | None = None  # the last signing-keys answer, to save for offline use
        # The latest server_time seen: a VMS keeps it to notice its clock being set back.
        self.latest_server_time: datetime | None = None

    # --- Calls -------------------------------------------------------------------------------------

    def activate(
        self,
        *,
        license_key: str,
        identity: MachineIdentity,
        name: str | None = None,
        product_version: str | None = None,
    ) -> Activation:
        """Bind this machine to the license (idempotent: the same machine again gets its seat back)."""
        body: dict[str, object] = {"license_key": license_key, "fingerprint": identity.fingerprint}
        if identity.components:
            body["components"] = list(identity.components)
        if name:
            body["name"] = name
        if product_version:
            body["product_version"] = product_version
        status, answer = self._post("/api/v1/activations", body)
        armored = _document_text(answer, "certificate")
        return Activation(
            created=status == 201,
            activation=_field(answer, "activation", dict),
            license=_field(answer, "license", dict),
            certificate=self._verified(armored, CERTIFICATE, identity),
            armored=armored,
        )

    def validate(
        self,
        *,
        license_key: str,
        identity: MachineIdentity,
        product_version: str | None = None,
        usage: dict[str, int] | None = None,
    ) -> Validation:
        """Check in. A refused license is an answer (``valid`` false and a code), not an exception."""
        body: dict = {"license_key": license_key, "fingerprint": identity.fingerprint}
        if identity.components:
            body["components"] = list(identity.components)
        if product_version:
            body["product_version"] = product_version
        if usage:
            body["usage"] = usage
        _, answer = self._post("/api/v1/validate", body)
        valid = _field(answer, "valid", bool)
        armored = _document_text(answer, "certificate") if answer.get("certificate") is not None else None
        certificate = None
        if armored is not None:
            certificate = self._verified(armored, CERTIFICATE, identity)
        return Validation(
            valid=valid,
            code=_field(answer, "code", str),
            answer=answer,
            certificate=certificate,
            armored=armored,
            advisories=tuple(item for item in answer.get("advisories") or [] if isinstance(item, dict)),
        )

    def deactivate(self, *, license_key: str, identity: MachineIdentity) -> Deactivation:
        """Give up this machine's seat; returns the platform's signed receipt."""
        _, answer = self._post(
            "/api/v1/deactivate", {"license_key": license_key, "fingerprint": identity.fingerprint}
        )
        armored = _document_text(answer, "receipt")
        return Deactivation(receipt=self._verified(armored, DEACTIVATION_RECEIPT, identity), armored=armored)

    def signing_keys(self, *, refresh: bool = False) -> dict:
        """The published verification keys by kid, fetched once per client."""
        if self._keys is None or refresh:
            _, answer = self._request("GET", "/api/v1/signing-keys", None)
            try:
                self._keys = load_keys(answer)
            except VerificationError as exc:
                raise BadAnswer("BAD_ANSWER", f"The published keys are unusable: {exc.message}") from None
            self.keys_answer = answer
        return self._keys

    # --- Plumbing ------------------------------------------------------------------------------------

    def _verified(self, armored: str, expected_type: str, identity: MachineIdentity) -> Document:
        try:
            try:
                document = read_document(armored, self.signing_keys(), expected_type=expected_type)
            except VerificationError as exc:
                if exc.code != "UNKNOWN_KEY":
                    raise
                # A kid we have not seen: the platform rotated its key since we fetched them.
                document = read_document(
                    armored, self.signing_keys(refresh=True), expected_type=expected_type
                )
        except VerificationError as exc:
            raise BadAnswer("BAD_ANSWER", f"The signed document in the answer fails: {exc}") from None
        if document.claims["fingerprint"] != identity.fingerprint:
            raise BadAnswer("BAD_ANSWER", "The signed document in the answer is for another machine.")
        return document

    def _post(self, path: str, body: dict) -> tuple[int, dict]:
        nonce = secrets.token_hex(16)
        status, answer = self._request("POST", path, {**body, "nonce": nonce})
        if answer.get("nonce") != nonce:
            raise BadAnswer("BAD_ANSWER", "The answer does not echo the request's nonce.", status=status)
        return status, answer

    def _request(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked in __init__)
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Accept": "application/json",
                "User-Agent": f"kalytera-client/{__version__}",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as error:
            with error:
                status, raw = error.code, error.read(MAX_ANSWER_BYTES + 1)
            if status >= 500:
                raise Unreachable(
                    "UNREACHABLE", f"The platform answered {status}; try again later.", status=status
                ) from None
            raise _error_from(status, raw, error.headers.get("Retry-After")) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable("UNREACHABLE", f"The platform cannot be reached: {reason}.") from None
        answer = _json_object(raw, status)
        self._note_server_time(answer.get("server_time"))
        return status, answer

    def _note_server_time(self, value: object) -> None:
        try:
            moment = parse_timestamp(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is not None and (self.latest_server_time is None or moment > self.latest_server_time):
            self.latest_server_time = moment


def _error_from(status: int, raw: bytes, retry_after: str | None) -> ApiError:
    answer = _json_object(raw, status)
    error = answer.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return BadAnswer(
            "BAD_ANSWER", f"The platform answered {status} without an error code.", status=status
        )
    fields = error.get("fields") if isinstance(error.get("fields"), dict) else {}
    seconds = int(retry_after) if retry_after and retry_after.isdigit() else None
    return ApiError(
        error["code"], str(error.get("message", "")), status=status, fields=fields, retry_after=seconds
    )


def _json_object(raw: bytes, status: int) -> dict:
    if len(raw) > MAX_ANSWER_BYTES:
        raise BadAnswer("BAD_ANSWER", "The answer is too large.", status=status)
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadAnswer("BAD_ANSWER", f"The answer ({status}) is not JSON.", status=status) from None
    if not isinstance(answer, dict):
        raise BadAnswer("BAD_ANSWER", "The answer is not a JSON object.", status=status)
    return answer


def _document_text(answer: dict, name: str) -> str:
    """The armoured text of a signed document in an answer: ``{"id", "kid", "issued_at", "armored"}``."""
    armored = _field(answer, name, dict).get("armored")
    if not isinstance(armored, str):
        raise BadAnswer("BAD_ANSWER", f"The {name} in the answer has no armoured text.")
    return armored


def _field(answer: dict, name: str, kind: type):
    value = answer.get(name)
    if not isinstance(value, kind):
        raise BadAnswer("BAD_ANSWER", f"The answer lacks {name!r}.")
    return value
