"""The API reference: rendered from the OpenAPI document, and one definition of the fingerprint."""

import hashlib
import hmac
import html
import json
import re

import pytest
from django.conf import settings

from kalytera_client import identity
from licensing import openapi
from tests.api_contract import openapi_validator

VECTORS = json.loads((settings.BASE_DIR / "docs" / "test-vectors" / "vectors.json").read_text())["machine"]
FORMULA = re.compile(
    r"^(fingerprint|component)\s+= HMAC-SHA256\(key = application key, message = (.+)\)$", re.M
)
APPLICATION_KEY = re.compile(r'^application key \(Kalytera VMS\) = ASCII "([^"]+)"$', re.M)


def _message(expression: str, values: dict[str, str]) -> bytes:
    """The bytes a document's message expression stands for, read token by token."""
    parts = []
    for token in re.findall(r'"[^"]*"|0x00|normalise\([a-z ]+\)|[a-z]+', expression):
        if token.startswith('"'):
            parts.append(token.strip('"').encode())
        elif token == "0x00":
            parts.append(b"\0")
        elif token.startswith("normalise("):
            parts.append(identity.normalise(values[token[len("normalise(") : -1]]))
        else:
            parts.append(values[token].encode())
    return b"".join(parts)


def _derive(text: str) -> tuple[str, list[str]]:
    """The vector machine's fingerprint and component digests, computed as ``text`` says."""
    text = html.unescape(text)
    formulas = dict(FORMULA.findall(text))
    assert set(formulas) == {"fingerprint", "component"}, "the document states both derivations"
    assert text.count("HMAC-SHA256(") == text.count("= HMAC-SHA256(key = application key"), (
        "no other derivation is described"
    )
    (key,) = set(APPLICATION_KEY.findall(text))
    digest = lambda message: hmac.new(key.encode(), message, hashlib.sha256).hexdigest()  # noqa: E731
    fingerprint = digest(_message(formulas["fingerprint"], {"machine id": VECTORS["machine_id"]}))
    components = sorted(
        digest(_message(formulas["component"], {"name": name, "value": value}))
        for name, value in VECTORS["components"].items()
    )
    return fingerprint, components


def _documents(client) -> dict[str, str]:
    return {
        "docs/api.md": (settings.BASE_DIR / "docs" / "api.md").read_text(),
        "docs/vms-client.md": (settings.BASE_DIR / "docs" / "vms-client.md").read_text(),
        "openapi.json": client.get("/api/v1/openapi.json").json()["info"]["description"],
        "/api/v1/docs": client.get("/api/v1/docs").content.decode(),
    }


def test_every_document_derives_the_fingerprint_of_the_test_vectors(client, db):
    for name, text in _documents(client).items():
        fingerprint, components = _derive(text)
        assert fingerprint == VECTORS["fingerprint"], name
        assert components == sorted(VECTORS["component_digests"]), name


def test_a_document_with_another_derivation_is_caught():
    wrong = identity.DERIVATION.replace('"fingerprint" 0x00', '"kalytera:v1" 0x00')
    assert _derive(wrong)[0] != VECTORS["fingerprint"]
    with pytest.raises(AssertionError):
        _derive(identity.DERIVATION + "\nfingerprint = HMAC-SHA256(key = machine-id, msg = x)\n")


def test_the_docs_page_renders_markdown_and_documents_every_answer(client, db):
    page = client.get("/api/v1/docs").content.decode()
    assert "`" not in re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)  # no literal Markdown backticks
    assert "<code>server_time</code>" in page
    document = openapi.document()
    for path, item in document["paths"].items():
        for operation in item.values():
            for status, response in operation["responses"].items():
                anchor = f'id="{operation["operationId"]}-{status}"'
                assert anchor in page, (path, status)
                example = response["content"]["application/json"]["example"]
                assert html.escape(json.dumps(example, indent=2)) in page, (path, status)


def test_every_published_example_conforms_to_its_schema():
    for item in openapi.document()["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                content = response["content"]["application/json"]
                validator = openapi_validator(content["schema"]["$ref"].rsplit("/", 1)[-1])
                errors = [str(error) for error in validator.iter_errors(content["example"])]
                assert errors == [], (operation["operationId"], errors)
