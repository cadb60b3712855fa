"""The Organization API: a token sees its organization's licenses and machines, read-only, nothing else."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licensing import services
from licensing.models import Activation
from licensing.services import integrators
from organizations import api_tokens
from organizations.models import ApiToken
from organizations.services import create_organization
from tests.licensing.conftest import digest
from tests.organizations.conftest import company, company_license, members  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

LIST = "/api/org/v1/licenses"


@pytest.fixture
def secret(members, company):  # noqa: F811 (the fixtures imported above)
    return api_tokens.create(by=members["owner"], organization=company, name="NOC").secret


def get(client, url: str, secret: str | None, **params):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(url, params, headers=headers)


def test_a_token_lists_its_organizations_licenses_with_their_machines(client, secret, company_license):  # noqa: F811
    license, _key, activation = company_license
    Activation.objects.filter(pk=activation.pk).update(product_version="6.2.1")
    answer = get(client, LIST, secret, nonce="n-1")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["organization"]["name"] == "Northwind Security"
    assert (body["total"], body["page"], body["next_page"], body["nonce"]) == (1, 1, None, "n-1")
    [row] = body["licenses"]
    assert row["id"] == str(license.public_id) and row["reference"] == license.reference
    assert (row["status"], row["runtime_state"], row["kind"]) == ("active", "valid", "subscription")
    assert row["machines"] == [
        {
            "id": str(activation.public_id),
            "label": "NVR 1",
            "product_version": "6.2.1",
            "last_check_in_at": row["machines"][0]["last_check_in_at"],
            "offline": False,
        }
    ]
    one = get(client, f"{LIST}/{license.public_id}", secret).json()
    assert one["license"] == row


def test_a_machine_past_its_offline_validity_is_offline(client, secret, company_license):  # noqa: F811
    license, _key, activation = company_license
    long_ago = timezone.now() - timedelta(days=license.plan.offline_validity_days + 1)
    Activation.objects.filter(pk=activation.pk).update(last_seen_at=long_ago)
    assert get(client, LIST, secret).json()["licenses"][0]["machines"][0]["offline"] is True


def test_other_organizations_licenses_are_invisible(client, secret, members, plan):  # noqa: F811
    other = create_organization(user=members["outsider"], name="Other Co")
    theirs = services.issue_license(plan=plan, organization=other, actor=services.Actor.system()).license
    assert get(client, LIST, secret).json()["licenses"] == []
    answer = get(client, f"{LIST}/{theirs.public_id}", secret)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "UNKNOWN_LICENSE")
    assert get(client, f"{LIST}/not-a-uuid", secret).status_code == 404


@pytest.mark.parametrize(
    "header",
    ["", "Bearer ", "Bearer kal_org_wrong", "Basic a2FsOng=", "Token {secret}", "Bearer {secret}x"],
)
def test_no_or_a_wrong_token_is_unauthorized(client, secret, header):
    answer = client.get(LIST, headers={"Authorization": header.format(secret=secret)} if header else {})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHORIZED" and "Bearer" in answer["WWW-Authenticate"]


def test_a_revoked_token_stops_at_once(client, secret, members, company):  # noqa: F811
    token = ApiToken.objects.get()
    api_tokens.revoke(by=members["owner"], organization=company, token_id=token.pk)
    assert get(client, LIST, secret).status_code == 401


def test_only_get_is_allowed(client, secret):
    answer = client.post(LIST, headers={"Authorization": f"Bearer {secret}"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_pages_and_bad_query_parameters(client, secret, company, plan):  # noqa: F811
    for _ in range(3):
        services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    first = get(client, LIST, secret, per_page=2).json()
    assert (len(first["licenses"]), first["total"], first["next_page"]) == (2, 3, 2)
    second = get(client, LIST, secret, per_page=2, page=2).json()
    assert (len(second["licenses"]), second["next_page"]) == (1, None)
    for params in ({"page": "0"}, {"page": "x"}, {"per_page": "201"}, {"page": "3", "per_page": "2"}):
        answer = get(client, LIST, secret, **params)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "INVALID_REQUEST"), params


def test_the_last_use_is_written_at_most_once_a_minute(client, secret):
    get(client, LIST, secret)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        get(client, LIST, secret)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    get(client, LIST, secret)
    assert ApiToken.objects.get().last_used_at > first


def test_requests_are_limited_per_token(client, secret, settings):
    settings.ORGANIZATION_API_RATE_PER_TOKEN = "2/m"
    assert [get(client, LIST, secret).status_code for _ in range(3)] == [200, 200, 429]
    assert get(client, LIST, secret)["Retry-After"]


def test_the_list_costs_the_same_queries_however_many_licenses(client, secret, company, plan):  # noqa: F811
    def grow(round_: int) -> None:
        for n in range(3):
            key = services.issue_license(plan=plan, organization=company, actor=services.Actor.system()).key
            services.activate_machine(key=key, fingerprint=digest(f"{round_}-{n}"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert get(client, LIST, secret).status_code == 200
        return len(queries)

    grow(0)
    count()
    before = count()
    grow(1)
    grow(2)
    assert count() == before


def test_an_integrators_token_also_sees_the_licenses_granted_to_it(client, members, company, plan):  # noqa: F811
    licensed = services.issue_license(plan=plan, organization=company, actor=services.Actor.system()).license
    lead = members["outsider"]
    integrator = create_organization(user=lead, name="Anchor Integrators")
    invitation = integrators.invite_integrator(
        by=members["owner"], customer=company, email=lead.email, scope="view"
    )
    integrators.accept_invitation(user=lead, token=invitation.token, integrator=integrator)
    secret = api_tokens.create(by=lead, organization=integrator, name="NOC").secret
    assert [row["id"] for row in get(client, LIST, secret).json()["licenses"]] == [str(licensed.public_id)]
    assert get(client, f"{LIST}/{licensed.public_id}", secret).status_code == 200
