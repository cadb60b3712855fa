"""The Machine API v1 contract as data: the OpenAPI document and the request checks share it.

Request bodies are checked against the very schemas published here (``check_body``), so
the document cannot promise something the server does not enforce; the test suite fuzzes
the live server from this document and compares every answer with it.
"""

import re
from typing import Any

from django.conf import settings
from django.http import JsonResponse

from kalytera import envelope, text
from kalytera_client import identity
from licensing import keys

HEX64 = "^[0-9a-fA-F]{64}$"
TEXT = text.SINGLE_LINE_PATTERN  # one line, no control or invisible formatting characters
VERSION = "^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$"
METRIC = "^[a-z][a-z0-9_]{0,31}$"

_HEX64_MESSAGE = "Must be 64 hexadecimal characters: an HMAC-SHA256 digest computed on the machine."
_STRING_MESSAGES = {
    HEX64: _HEX64_MESSAGE,
    TEXT: text.PROBLEM_START + ".",
    VERSION: "Must be a version such as 6.2.1 (letters, digits, '.', '+', '-'; at most 32).",
    keys.PATTERN: (
        f"Must be a license key: {keys.PREFIX}- and {keys.BODY_LENGTH + 1} letters and digits "
        "in groups of four."
    ),
}

ERROR_CODES: dict[str, tuple[int, str]] = {
    "INVALID_REQUEST": (400, "The body is not valid JSON or does not match the schema; see `fields`."),
    text.INVALID_CHARACTERS: (
        400,
        "A text field holds control or invisible formatting characters (Unicode Cc, Cf); see `fields`.",
    ),
    "INVALID_LICENSE_KEY": (400, "The key is malformed or has a typo (caught by its check character)."),
    "LICENSE_NOT_FOUND": (404, "No license has this key."),
    "NOT_ACTIVATED": (404, "This machine holds no active seat on the license."),
    "NOT_FOUND": (404, "No such API endpoint."),
    "UNAUTHORIZED": (401, "Organization API: the token is missing, unknown or revoked."),
    "UNKNOWN_LICENSE": (404, "Organization API: the token's organization sees no license with this id."),
    "FORBIDDEN": (403, "The platform refused the request before it reached an endpoint."),
    "METHOD_NOT_ALLOWED": (405, "The endpoint does not accept this HTTP method; see the Allow header."),
    "LICENSE_SUSPENDED": (403, "The license is suspended."),
    "LICENSE_REVOKED": (403, "The license is revoked."),
    "LICENSE_EXPIRED": (403, "The license expired and its grace period is over."),
    "TOO_MANY_MACHINES": (409, "Every seat of the license is taken."),
    "HARDWARE_CHANGE_LIMIT": (409, "A hardware change was recognised, but the yearly allowance is used up."),
    "TRIAL_ALREADY_USED": (409, "This machine has already run a trial of the product."),
    "MOVE_LIMIT": (409, "The yearly allowance of moves (deactivations) is used up."),
    "PAYLOAD_TOO_LARGE": (413, "The body is larger than the limit."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "The body must be sent as application/json."),
    "RATE_LIMITED": (429, "Too many requests; retry after the seconds in the Retry-After header."),
    "INTERNAL_ERROR": (500, "An unexpected fault on the platform; it is logged. Retry later."),
    "UNAVAILABLE": (503, "The platform briefly lost its database; retry after the Retry-After seconds."),
}

VALIDATION_CODES = {
    "VALID": "The license is valid for this machine.",
    "GRACE_PERIOD": "The subscription expired; it keeps working until the grace period ends (valid).",
    "EXPIRED": "The subscription expired and its grace period is over.",
    "SUSPENDED": "The license is suspended.",
    "REVOKED": "The license is revoked.",
    "NOT_ACTIVATED": "This machine is not activated on the license.",
    "VERSION_NOT_COVERED": "The version was released after the upgrade plan of the perpetual license ended.",
    "LICENSE_NOT_FOUND": "No license has this key.",
}


def _string(max_length: int, pattern: str = TEXT, min_length: int = 1, **extra) -> dict:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": pattern, **extra}


LICENSE_KEY = _string(
    64,
    keys.PATTERN,
    description=(
        "The license key, e.g. KLY-0000-0000-0000-0000-0000-0000-0000: Crockford base32 (no U), read "
        "case-insensitively, O as 0, I and L as 1, spaces and dashes ignored, the prefix optional. "
        "The last character is a check character: a key with a typo fits the pattern but is refused "
        "with INVALID_LICENSE_KEY."
    ),
)
FINGERPRINT = _string(
    64,
    HEX64,
    min_length=64,
    description="HMAC-SHA256 of the machine id under the application key; see *Identifying the machine*.",
)
COMPONENTS = {
    "type": "array",
    "maxItems": identity.MAX_COMPONENTS,
    "items": _string(64, HEX64, min_length=64),
    "description": "An HMAC-SHA256 digest per hardware part (board, disk, NIC): *Identifying the machine*.",
}
NONCE = _string(128, description="Any value; echoed in the answer so the VMS can match it to its request.")
PRODUCT_VERSION = _string(32, VERSION, description="The VMS version running on the machine.")
USAGE = {
    "type": "object",
    "maxProperties": 16,
    "propertyNames": {"pattern": METRIC},
    "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    "description": (
        "Opt-in counts such as cameras in use; added to daily totals without a link to the license."
    ),
}

# The Organization API's query parameters (the same specs check the requests).
ORG_QUERY: dict[str, dict] = {
    "page": {"type": "integer", "minimum": 1, "maximum": 100_000, "description": "The page, from 1."},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Licenses a page (50)."},
}

ACTIVATION_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["license_key", "fingerprint"],
    "properties": {
        "license_key": LICENSE_KEY,
        "fingerprint": FINGERPRINT,
        "components": COMPONENTS,
        "name": _string(100, min_length=0, description="A label for the machine, shown to the customer."),
        "product_version": PRODUCT_VERSION,
        "nonce": NONCE,
    },
}
VALIDATE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["license_key", "fingerprint"],
    "properties": {
        "license_key": LICENSE_KEY,
        "fingerprint": FINGERPRINT,
        "components": COMPONENTS,
        "product_version": PRODUCT_VERSION,
        "usage": USAGE,
        "nonce": NONCE,
    },
}
DEACTIVATE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["license_key", "fingerprint"],
    "properties": {"license_key": LICENSE_KEY, "fingerprint": FINGERPRINT, "nonce": NONCE},
}


# --- Checking request bodies against the schemas above ------------------------------------------


def check_body(schema: dict, body: Any) -> dict[str, str]:
    """Field errors of ``body`` against one of the request schemas (empty when it conforms)."""
    if not isinstance(body, dict):
        return {"": "The body must be a JSON object."}
    errors: dict[str, str] = {}
    for name in body:
        if name not in schema["properties"]:
            errors[name] = "Unknown field."
    for name in schema["required"]:
        if name not in body:
            errors[name] = "This field is required."
    for name, spec in schema["properties"].items():
        if name in body and name not in errors:
            problem = check_value(spec, body[name])
            if problem:
                errors[name] = problem
    return errors


def check_value(spec: dict, value: Any) -> str:
    kind = spec["type"]
    if kind == "string":
        return _check_string(spec, value)
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "Must be a whole number."
        if not spec["minimum"] <= value <= spec["maximum"]:
            return f"Must be between {spec['minimum']} and {spec['maximum']}."
        return ""
    if kind == "array":
        if not isinstance(value, list):
            return "Must be a list."
        if len(value) > spec["maxItems"]:
            return f"At most {spec['maxItems']} items."
        for index, item in enumerate(value):
            problem = check_value(spec["items"], item)
            if problem:
                return f"Item {index + 1}: {problem}"
        return ""
    if not isinstance(value, dict):
        return "Must be an object."
    if len(value) > spec["maxProperties"]:
        return f"At most {spec['maxProperties']} entries."
    for name, item in value.items():
        if not re.fullmatch(spec["propertyNames"]["pattern"], name):
            return "Names must be lower-case letters, digits and '_' (at most 32)."
        problem = check_value(spec["additionalProperties"], item)
        if problem:
            return f"{name}: {problem}"
    return ""


def _check_string(spec: dict, value: Any) -> str:
    if not isinstance(value, str):
        return "Must be a string."
    if not spec["minLength"] <= len(value) <= spec["maxLength"]:
        if spec["minLength"] == spec["maxLength"]:
            return _STRING_MESSAGES.get(spec["pattern"], f"Must be {spec['maxLength']} characters.")
        return f"Must be {spec['minLength']} to {spec['maxLength']} characters."
    # Lone surrogates decode from JSON but cannot be stored or compared as UTF-8.
    if not value.isascii() and not _utf8_ok(value):
        return "Must be valid Unicode text."
    if spec["pattern"] == TEXT:
        return text.problem(value)  # names the characters, also those beyond the pattern's plane
    if not re.fullmatch(_python_pattern(spec["pattern"]), value):
        return _STRING_MESSAGES[spec["pattern"]]
    return ""


def error_code(problems: dict[str, str]) -> str:
    """The code for a body with these field problems: characters alone have their own."""
    if all(message.startswith(text.PROBLEM_START) for message in problems.values()):
        return text.INVALID_CHARACTERS
    return "INVALID_REQUEST"


def _utf8_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _python_pattern(pattern: str) -> str:
    return pattern.removeprefix("^").removesuffix("$")


# --- The OpenAPI document -----------------------------------------------------------------------

_TIME = {"type": "string", "format": "date-time", "description": "The server's clock (UTC)."}
_NONCE_ECHO = {
    "type": "string",
    "nullable": True,
    "description": "The request's nonce, or null.",
    "example": "req-0042",
}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def _envelope(properties: dict, required: list[str]) -> dict:
    return {
        "type": "object",
        "required": [*required, "server_time", "nonce"],
        "properties": {**properties, "server_time": _TIME, "nonce": _NONCE_ECHO},
    }


LICENSE_FIELDS = [
    "id",
    "plan",
    "kind",
    "status",
    "channels",
    "features",
    "max_machines",
    "expires_at",
    "grace_ends_at",
    "upgrade_plan_until",
    "grace_days",
    "offline_validity_days",
]

COMPONENT_SCHEMAS = {
    "Error": _envelope(
        {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(ERROR_CODES)},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
        ["error"],
    ),
    "Activation": {
        "type": "object",
        "required": ["id", "name", "product_version", "status", "first_seen_at", "last_seen_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "example": "Gate server"},
            "product_version": {"type": "string", "example": "6.2.1"},
            "status": {"type": "string", "enum": ["active", "released"]},
            "first_seen_at": {"type": "string", "format": "date-time"},
            "last_seen_at": {"type": "string", "format": "date-time"},
        },
    },
    "License": {
        "type": "object",
        "required": LICENSE_FIELDS,
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The public license id (not the key)."},
            "plan": {"type": "string", "example": "pro-1y"},
            "kind": {"type": "string", "enum": ["subscription", "perpetual", "trial"]},
            "status": {"type": "string", "enum": ["active", "suspended", "revoked"]},
            "channels": {"type": "integer"},
            "features": {"type": "array", "items": {"type": "string", "example": "lpr"}},
            "max_machines": {"type": "integer"},
            "expires_at": _NULLABLE_TIME,
            "grace_ends_at": _NULLABLE_TIME,
            "upgrade_plan_until": {"type": "string", "format": "date", "nullable": True},
            "grace_days": {"type": "integer"},
            "offline_validity_days": {"type": "integer"},
        },
    },
    "SignedDocument": {
        "type": "object",
        "required": ["id", "kid", "issued_at", "armored"],
        "properties": {
            "id": {"type": "string"},
            "kid": {
                "type": "string",
                "description": "The signing key; see GET /api/v1/signing-keys.",
                "example": "03d5c2bfdc91fd84",
            },
            "issued_at": {"type": "string", "format": "date-time"},
            "armored": {
                "type": "string",
                "description": "The document as text; save it as a .lic file.",
                "example": (
                    "-----BEGIN KALYTERA LICENSE CERTIFICATE-----\nS0xZQwED...\n"
                    "-----END KALYTERA LICENSE CERTIFICATE-----\n"
                ),
            },
        },
    },
    "OrgMachine": {
        "type": "object",
        "required": ["id", "label", "product_version", "last_check_in_at", "offline"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "label": {"type": "string", "example": "Gate server"},
            "product_version": {"type": "string", "example": "6.2.1"},
            "last_check_in_at": {"type": "string", "format": "date-time"},
            "offline": {
                "type": "boolean",
                "description": "No check-in for longer than the plan's offline validity days.",
            },
        },
    },
    "OrgLicense": {
        "type": "object",
        "required": [
            "id",
            "reference",
            "product",
            "plan",
            "plan_name",
            "kind",
            "status",
            "runtime_state",
            "channels",
            "max_machines",
            "expires_at",
            "grace_ends_at",
            "upgrade_plan_until",
            "machines",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The public license id (not the key)."},
            "reference": {"type": "string", "example": "KLY-7K2M", "description": "The key's first group."},
            "product": {"type": "string", "example": "Kalytera VMS"},
            "plan": {"type": "string", "example": "pro-1y"},
            "plan_name": {"type": "string", "example": "Professional"},
            "kind": {"type": "string", "enum": ["subscription", "perpetual", "trial"]},
            "status": {"type": "string", "enum": ["active", "suspended", "revoked"]},
            "runtime_state": {
                "type": "string",
                "enum": ["valid", "grace", "expired"],
                "description": "By the dates alone: before expiry, in the grace period, or after it.",
            },
            "channels": {"type": "integer"},
            "max_machines": {"type": "integer"},
            "expires_at": _NULLABLE_TIME,
            "grace_ends_at": _NULLABLE_TIME,
            "upgrade_plan_until": {"type": "string", "format": "date", "nullable": True},
            "machines": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/OrgMachine"},
                "description": "The active machines.",
            },
        },
    },
    "NewestRelease": {
        "type": "object",
        "description": (
            "The newest published release the license covers: what its machines may install. "
            "Compare `version` with the running one (ordering: docs/release-artifact.md) to show "
            '"update available".'
        ),
        "required": ["version", "released_on", "notes_url"],
        "properties": {
            "version": {"type": "string", "example": "6.3.0"},
            "released_on": {"type": "string", "format": "date"},
            "notes_url": {
                "type": "string",
                "format": "uri",
                "description": "The public release notes page.",
                "example": "https://licensing.kalytera.example/releases/kalytera-vms/6.3.0/",
            },
        },
    },
    "Advisory": {
        "type": "object",
        "description": "A published security advisory affecting the machine's version.",
        "required": ["id", "title", "severity", "score", "fixed_version", "url"],
        "properties": {
            "id": {"type": "string", "example": "KSA-2027-001"},
            "title": {"type": "string", "example": "Authentication bypass in the recording server API"},
            "severity": {"type": "string", "enum": ["none", "low", "medium", "high", "critical"]},
            "score": {"type": "number", "description": "CVSS v3.1 base score", "example": 9.8},
            "fixed_version": {
                "type": "string",
                "nullable": True,
                "description": "The lowest fixed version above the reported one; null when none exists yet.",
                "example": "6.2.2",
            },
            "url": {
                "type": "string",
                "format": "uri",
                "example": "https://kalytera.example/security/advisories/KSA-2027-001/",
            },
        },
    },
    "ActivationRequest": ACTIVATION_REQUEST,
    "ValidateRequest": VALIDATE_REQUEST,
    "DeactivateRequest": DEACTIVATE_REQUEST,
}
COMPONENT_SCHEMAS["ActivationResponse"] = _envelope(
    {
        "outcome": {"type": "string", "enum": ["created", "existing", "rebound"]},
        "activation": {"$ref": "#/components/schemas/Activation"},
        "license": {"$ref": "#/components/schemas/License"},
        "certificate": {"$ref": "#/components/schemas/SignedDocument"},
    },
    ["outcome", "activation", "license", "certificate"],
)
COMPONENT_SCHEMAS["ValidationResponse"] = _envelope(
    {
        "valid": {"type": "boolean"},
        "code": {"type": "string", "enum": list(VALIDATION_CODES)},
        "message": {"type": "string", "example": VALIDATION_CODES["VALID"]},
        "license": {"allOf": [{"$ref": "#/components/schemas/License"}], "nullable": True},
        "activation": {"allOf": [{"$ref": "#/components/schemas/Activation"}], "nullable": True},
        "certificate": {"allOf": [{"$ref": "#/components/schemas/SignedDocument"}], "nullable": True},
        "newest_release": {"allOf": [{"$ref": "#/components/schemas/NewestRelease"}], "nullable": True},
        "advisories": {
            "type": "array",
            "description": "Published security advisories that affect the reported product_version (most "
            "severe first; empty when none applies or no version was reported).",
            "items": {"$ref": "#/components/schemas/Advisory"},
        },
    },
    ["valid", "code", "message", "license", "activation", "certificate", "newest_release", "advisories"],
)
COMPONENT_SCHEMAS["DeactivationResponse"] = _envelope(
    {
        "activation": {"$ref": "#/components/schemas/Activation"},
        "receipt": {"$ref": "#/components/schemas/SignedDocument"},
    },
    ["activation", "receipt"],
)
COMPONENT_SCHEMAS["OrgLicensesResponse"] = _envelope(
    {
        "organization": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "example": "Northwind Security"},
            },
        },
        "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/OrgLicense"}},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
        "next_page": {"type": "integer", "nullable": True},
    },
    ["organization", "licenses", "page", "per_page", "total", "next_page"],
)
COMPONENT_SCHEMAS["OrgLicenseResponse"] = _envelope(
    {"license": {"$ref": "#/components/schemas/OrgLicense"}}, ["license"]
)
COMPONENT_SCHEMAS["SigningKeysResponse"] = _envelope(
    {
        "keys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kid", "alg", "public_key", "status"],
                "properties": {
                    "kid": {"type": "string"},
                    "alg": {"type": "string", "enum": ["Ed25519"]},
                    "public_key": {"type": "string", "description": "The raw 32-byte key, base64url."},
                    "status": {"type": "string", "enum": ["active", "retired"]},
                    "created": {"type": "string", "format": "date-time"},
                },
            },
        }
    },
    ["keys"],
)

OPERATIONS: dict[str, dict[str, Any]] = {
    "/api/v1/activations": {
        "summary": "Activate a machine",
        "description": (
            "Binds the machine to the license (201), or returns its existing activation (200, "
            "idempotent), or rebinds the activation whose hardware components still match at least "
            "half and at least two of the recorded ones (200, outcome `rebound`, within the yearly "
            "allowance of hardware changes). Returns a fresh signed certificate."
        ),
        "request": "ActivationRequest",
        "success": {"201": ("A new seat was taken.", "ActivationResponse"),
                    "200": ("The machine was active already, or rebound.", "ActivationResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "INVALID_LICENSE_KEY", "LICENSE_NOT_FOUND",
                   "LICENSE_SUSPENDED", "LICENSE_REVOKED", "LICENSE_EXPIRED", "TOO_MANY_MACHINES",
                   "HARDWARE_CHANGE_LIMIT", "TRIAL_ALREADY_USED", "RATE_LIMITED"],
    },
    "/api/v1/validate": {
        "summary": "Check in",
        "description": (
            "Answers 200 with `valid` and a `code` for every well-formed request, and a fresh "
            "certificate when valid. The machine's last check-in is recorded."
        ),
        "request": "ValidateRequest",
        "success": {"200": ("The verdict; see `code`.", "ValidationResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "INVALID_LICENSE_KEY", "RATE_LIMITED"],
    },
    "/api/v1/deactivate": {
        "summary": "Deactivate a machine",
        "description": (
            "Releases the machine's seat (a move, within the yearly allowance) and returns a signed "
            "deactivation receipt. A retry of the same request within 24 hours (its answer lost) "
            "returns the same receipt again."
        ),
        "request": "DeactivateRequest",
        "success": {"200": ("The seat was released (now or by a retried request).", "DeactivationResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "INVALID_LICENSE_KEY", "LICENSE_NOT_FOUND",
                   "NOT_ACTIVATED", "MOVE_LIMIT", "RATE_LIMITED"],
    },
    "/api/v1/signing-keys": {
        "summary": "Public signing keys",
        "description": "The Ed25519 public keys that sign certificates and receipts, active key first.",
        "request": None,
        "success": {"200": ("The keys.", "SigningKeysResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "RATE_LIMITED"],
    },
    "/api/org/v1/licenses": {
        "operation_id": "organization_licenses",
        "summary": "An organization's licenses",
        "description": (
            "Organization API. The licenses the token's organization holds, newest first, a page at "
            "a time, each with its active machines. Authenticate with `Authorization: Bearer "
            "kal_org_…`: owners make and revoke tokens on the organization page."
        ),
        "request": None,
        "security": True,
        "parameters": ["page", "per_page"],
        "success": {"200": ("A page of licenses.", "OrgLicensesResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "UNAUTHORIZED", "RATE_LIMITED"],
    },
    "/api/org/v1/licenses/{license_id}": {
        "operation_id": "organization_license",
        "summary": "One license of an organization",
        "description": "Organization API. One license the token's organization holds, by its public id.",
        "request": None,
        "security": True,
        "path_parameters": {"license_id": {"type": "string", "format": "uuid"}},
        "success": {"200": ("The license.", "OrgLicenseResponse")},
        "errors": ["INVALID_REQUEST", "INVALID_CHARACTERS", "UNAUTHORIZED", "UNKNOWN_LICENSE", "NOT_FOUND",
                   "RATE_LIMITED"],
    },
}  # fmt: skip

# Every endpoint may also answer these when the request itself is unacceptable, when the
# platform fails, or when the database is briefly unreachable.
TRANSPORT_ERRORS = {
    "POST": [
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "INTERNAL_ERROR",
        "UNAVAILABLE",
    ],
    "GET": ["METHOD_NOT_ALLOWED", "INTERNAL_ERROR", "UNAVAILABLE"],
}


def document() -> dict:
    """The OpenAPI 3 document served at /api/v1/openapi.json."""
    paths = {}
    for path, op in OPERATIONS.items():
        method = "post" if op["request"] else "get"
        responses: dict[str, dict] = {}
        for status, (description, schema) in op["success"].items():
            responses[status] = _response(description, schema, example(COMPONENT_SCHEMAS[schema]))
        by_status: dict[int, list[str]] = {}
        for code in [*op["errors"], *TRANSPORT_ERRORS[method.upper()]]:
            by_status.setdefault(ERROR_CODES[code][0], []).append(code)
        for status, codes in sorted(by_status.items()):
            responses[str(status)] = _response(
                "Error codes: " + ", ".join(f"`{c}`" for c in codes) + ".", "Error", _error_example(codes[0])
            )
        operation = {
            "operationId": op.get("operation_id") or path.rsplit("/", 1)[1].replace("-", "_"),
            "summary": op["summary"],
            "description": op["description"],
            "responses": responses,
        }
        if op["request"]:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{op['request']}"}}
                },
            }
        else:
            operation["parameters"] = [
                {
                    "name": "nonce",
                    "in": "query",
                    "required": False,
                    "schema": NONCE,
                    "description": "Echoed.",
                },
                *(
                    {"name": name, "in": "query", "required": False, "schema": ORG_QUERY[name]}
                    for name in op.get("parameters", [])
                ),
                *(
                    {"name": name, "in": "path", "required": True, "schema": schema}
                    for name, schema in op.get("path_parameters", {}).items()
                ),
            ]
        if op.get("security"):
            operation["security"] = [{"OrganizationToken": []}]
        paths[path] = {method: operation}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Kalytera Machine API",
            "version": "1",
            "description": (
                "How a Kalytera VMS server activates, checks in and deactivates. The license key in "
                "the body authenticates each call. Every answer carries `server_time` and echoes the "
                "request's `nonce`.\n\n"
                "**Identifying the machine.** The platform never receives a raw identifier: the VMS "
                "sends keyed digests, 64 lower-case hex digits (`fingerprint`, and up to "
                f"{identity.MAX_COMPONENTS} `components`, sorted):\n\n"
                f"```\n{identity.DERIVATION}```\n\n"
                "The test vectors (`docs/test-vectors/vectors.json`, `machine`) give a machine id, "
                "its parts and their digests.\n\n"
                "**Organization API.** Read-only, under `/api/org/v1/`, for an organization's own "
                "systems (an integrator's monitoring of many sites): its licenses and machines. "
                "Each request carries `Authorization: Bearer kal_org_…`, a token an owner made on "
                "the organization page; it sees that organization's licenses only."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": paths,
        "components": {
            "schemas": COMPONENT_SCHEMAS,
            "securitySchemes": {
                "OrganizationToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An organization's API token (`kal_org_…`), made by an owner.",
                }
            },
        },
    }


def _response(description: str, schema: str, example: Any) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}
        },
    }


# Examples are generated from the schemas, so that the published ones always conform.
_EXAMPLE_FORMATS = {
    "date-time": "2026-11-23T17:00:00Z",
    "date": "2027-11-23",
    "uuid": "6f1c2b1e-8a8d-4f7e-9a51-3c2d1e0f4a5b",
}


def example(schema: dict) -> Any:
    """A value conforming to ``schema`` (a schema of this document), for the published examples."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return example(COMPONENT_SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in schema:
        return example(schema["allOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        return {name: example(spec) for name, spec in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema["items"])]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if schema.get("pattern") == HEX64:
        return "07d9505d586437c9368b025c29a34d91589dd364e075bb26d1846432c67bfe68"
    return _EXAMPLE_FORMATS.get(schema.get("format", ""), "text")


def _error_example(code: str) -> dict:
    return {
        "error": {"code": code, "message": ERROR_CODES[code][1].replace("`", "")},
        "server_time": _EXAMPLE_FORMATS["date-time"],
        "nonce": _NONCE_ECHO["example"],
    }


def error_answer(code: str, message: str, **details) -> JsonResponse:
    """The envelope's error with the status this contract gives ``code``."""
    return envelope.error(code, message, ERROR_CODES[code][0], **details)
