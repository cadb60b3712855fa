"""Fuzz the Machine API and the Organization API from their OpenAPI document against a live server.

Schemathesis generates valid and invalid requests for every operation; every answer must be
free of server errors and match the documented status codes, content type and schema. Half
of the generated bodies carry a real key, so the fuzzing reaches past the key check; the
Organization API's requests carry a live token, and half of them ask for a real license.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from licensing import openapi
from organizations import api_tokens
from organizations.services import create_organization

schema = schemathesis.openapi.from_dict(openapi.document())
EXAMPLES_PER_OPERATION = 200
_LIVE_TOKEN: dict[str, str] = {}  # set by the fixture below for the test that runs


@schema.auth(refresh_interval=None).apply_to(path_regex="^/api/org/")
class OrganizationToken:
    """The Organization API's token, given to schemathesis as the real credentials.

    So it sends it on generated requests, and itself checks that a request without it, or with
    an invalid one, is refused (and that a request missing the header entirely is a 401).
    """

    def get(self, case, context) -> str | None:
        return _LIVE_TOKEN.get("secret")

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def real_key(issue, customer, settings):
    settings.LICENSING_API_RATE_PER_ADDRESS = "100000/m"
    settings.LICENSING_API_RATE_PER_LICENSE = "100000/m"
    return issue(customer)[1]


@pytest.fixture
def organization_token(issue, customer, settings) -> tuple[str, str]:
    """A live token of an organization holding a license: (token, that license's id)."""
    settings.ORGANIZATION_API_RATE_PER_ADDRESS = "100000/m"
    settings.ORGANIZATION_API_RATE_PER_TOKEN = "100000/m"
    organization = create_organization(user=customer, name="Fuzzing Integrator")
    license = issue(organization)[0]
    secret = api_tokens.create(by=customer, organization=organization, name="fuzz").secret
    _LIVE_TOKEN["secret"] = secret
    return secret, str(license.public_id)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_request_as_documented(case, live_server, real_key, organization_token):
    # Only valid requests get the real key: a request generated to be invalid must stay invalid.
    positive = case.meta is None or not case.meta.generation.mode.is_negative
    if case.path.startswith("/api/org/"):
        _token, license_id = organization_token
        asked = case.path_parameters.get("license_id")
        if positive and isinstance(asked, str) and int.from_bytes(asked.encode()) % 2:
            case.path_parameters["license_id"] = license_id
    fingerprint = case.body.get("fingerprint") if isinstance(case.body, dict) else None
    if positive and isinstance(fingerprint, str) and int.from_bytes(fingerprint.encode()) % 2:
        case.body["license_key"] = real_key
    # A key can fit the schema and still be refused (a typo caught by its check character, 400),
    # so "every schema-valid request succeeds" does not hold; every other check applies.
    case.call_and_validate(base_url=live_server.url, excluded_checks=[positive_data_acceptance])
