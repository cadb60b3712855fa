"""The Machine API's contract for people and programs: the OpenAPI document and the docs page.

Both are generated from ``licensing.openapi``, the same data that checks the requests, so
the page cannot describe an API other than the one served: descriptions are Markdown
rendered here, and each answer's example is the one in the document, built from its schema.
"""

import json
from functools import lru_cache

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt
from markdown_it import MarkdownIt

from licensing import keys, openapi

ALLOW = "GET, HEAD"


def _method_not_allowed() -> JsonResponse:
    return openapi.error_answer("METHOD_NOT_ALLOWED", "Use GET.", headers={"Allow": ALLOW})


@csrf_exempt
def openapi_json(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 2})


@csrf_exempt
def docs(request: HttpRequest) -> HttpResponse:
    """The API reference for VMS developers, rendered from the same OpenAPI document."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    return render(request, "licensing/api_docs.html", docs_context())


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML off: the texts are ours, but a tag in them is shown, never interpreted.
    return MarkdownIt("commonmark", {"html": False})


def markdown(text: str) -> SafeString:
    """A description of the document as HTML (paragraphs, code, lists, code blocks)."""
    return mark_safe(_markdown().render(text))  # noqa: S308  (our texts; markdown-it escapes HTML)


def markdown_inline(text: str) -> SafeString:
    """A short description (a table cell) as HTML without a paragraph around it."""
    return mark_safe(_markdown().renderInline(text))  # noqa: S308  (as above)


def docs_context() -> dict:
    document = openapi.document()
    schemas = document["components"]["schemas"]
    endpoints = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            request_name = _schema_name(operation.get("requestBody", {}))
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation["summary"],
                    "description": markdown(operation["description"]),
                    "fields": _fields(schemas[request_name]) if request_name else [],
                    "responses": [
                        _response(status, response, schemas)
                        for status, response in sorted(operation["responses"].items())
                    ],
                    "anchor": operation["operationId"],
                }
            )
    return {
        "document": document,
        "description": markdown(document["info"]["description"]),
        "endpoints": endpoints,
        "error_codes": [
            (code, status, markdown_inline(text)) for code, (status, text) in openapi.ERROR_CODES.items()
        ],
        "validation_codes": [
            (code, markdown_inline(text)) for code, text in openapi.VALIDATION_CODES.items()
        ],
    }


def _schema_name(holder: dict) -> str:
    schema = holder.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").rsplit("/", 1)[-1]


def _response(status: str, response: dict, schemas: dict) -> dict:
    name = _schema_name(response)
    return {
        "status": status,
        "description": markdown(response["description"]),
        "schema": name,
        "properties": _properties(schemas[name]),
        "example": json.dumps(response["content"]["application/json"]["example"], indent=2),
    }


def _properties(schema: dict) -> list[dict]:
    return [
        {
            "name": name,
            "type": _type(spec),
            "required": name in schema.get("required", []),
            "description": markdown_inline(spec.get("description", "")),
        }
        for name, spec in schema["properties"].items()
    ]


def _type(spec: dict) -> str:
    target = spec.get("$ref") or spec.get("allOf", [{}])[0].get("$ref")
    kind = target.rsplit("/", 1)[-1] if target else spec.get("type", "object")
    if kind == "array" and "items" in spec:
        kind = f"array of {_type(spec['items'])}"
    if "enum" in spec:
        kind += " (" + ", ".join(str(value) for value in spec["enum"]) + ")"
    return kind + (" or null" if spec.get("nullable") else "")


def _fields(schema: dict) -> list[dict]:
    return [
        {
            "name": name,
            "required": name in schema.get("required", []),
            "type": spec["type"],
            "limits": _limits(spec),
            "description": markdown_inline(spec.get("description", "")),
        }
        for name, spec in schema["properties"].items()
    ]


def _limits(spec: dict) -> str:
    if spec["type"] == "string":
        if spec["pattern"] == openapi.HEX64:
            return "64 hex digits"
        if spec["pattern"] == keys.PATTERN:
            return f"a license key: {keys.BODY_LENGTH + 1} characters after the optional {keys.PREFIX}-"
        return f"{spec['minLength']} to {spec['maxLength']} characters"
    if spec["type"] == "array":
        return f"up to {spec['maxItems']} digests"
    return f"up to {spec['maxProperties']} counts"
