"""The Machine API's contract, checked on every error the suite provokes.

A middleware (first in the test settings' chain, so it sees the error handlers' answers
too) records each answer under ``/api/`` with a status of 400 or more; an autouse fixture
validates the bodies against the ``Error`` schema of the published OpenAPI document after
each test. A body that drifts from the document fails the test that produced it.
"""

import json
from collections.abc import Callable

import jsonschema_rs
import pytest
from django.http import HttpRequest, HttpResponse

from kalytera import envelope
from licensing import openapi

_seen: list[tuple[str, int, str, bytes]] = []


class RecordApiErrors:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if envelope.is_api(request) and response.status_code >= 400 and not response.streaming:
            _seen.append(
                (request.path, response.status_code, response.get("Content-Type", ""), response.content)
            )
        return response


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's ``null`` type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [{"type": "null"}, converted]}
    return converted


def openapi_validator(name: str) -> jsonschema_rs.Validator:
    """A validator for the schema ``name`` of the published document's components."""
    components = _json_schema(openapi.document()["components"])
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": components}, validate_formats=True
    )


def error_validator() -> jsonschema_rs.Validator:
    return openapi_validator("Error")


def problems(path: str, status: int, content_type: str, content: bytes, validator) -> list[str]:
    """What is wrong with one error answer, as sentences (empty when it honours the contract)."""
    if not content_type.startswith("application/json"):
        return [f"{path}: {status} answered {content_type or 'no content type'}, not JSON"]
    try:
        body = json.loads(content)
    except ValueError:
        return [f"{path}: {status} body is not JSON"]
    found = [f"{path}: {status}: {error}" for error in validator.iter_errors(body)]
    if not found and openapi.ERROR_CODES[body["error"]["code"]][0] != status:
        found.append(f"{path}: {body['error']['code']} answered with status {status}")
    return found


@pytest.fixture(autouse=True)
def api_contract():
    """Fails the test when an /api/ error it provoked does not match the published schema."""
    _seen.clear()
    yield
    answers = list(_seen)
    _seen.clear()
    if not answers:
        return
    validator = error_validator()
    found = [problem for answer in answers for problem in problems(*answer, validator)]
    if found:
        pytest.fail("API errors outside the OpenAPI contract:\n" + "\n".join(found), pytrace=False)
