# ruff: noqa: F811 - the fixtures of licensing tests are imported by name
"""What a signed-in page costs, exactly: SQL statements and Redis round trips, after the first visit.

The numbers are those of ``python -m bench``'s signed-in endpoints (docs/performance.md, "The
signed-in request path"). A change that adds a query or a round trip to every signed-in page
fails here; lower the numbers when a change saves one.

Per page, whatever the page: the user (one query; the session comes from the shared cache),
the Terms gate on the license pages (one query), the policy change notices in the header
(one query), and one Redis round trip (the session's copy), plus one for the cached advisories
where machines report a version. The session list is not written on every page (accounts/user_sessions.py).
"""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from licensing import services
from organizations.models import IntegratorGrant, Membership, Organization
from organizations.services import personal_organization
from tests import personas
from tests.licensing.conftest import make_plan, plan, product  # noqa: F401 - fixtures
from tests.round_trips import redis_round_trips

pytestmark = pytest.mark.django_db


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def pages(redis_as_default_cache, customer_client, customer, make_plan) -> dict[str, str]:
    """A customer with two licenses (three machines each) who also looks after another customer's."""
    chosen = make_plan(max_machines=5)
    mine = personal_organization(user=customer)
    licenses = []
    for n in range(2):
        issued = services.issue_license(plan=chosen, organization=mine, actor=services.Actor.system())
        for machine in range(3):
            services.activate_machine(
                key=issued.key, fingerprint=digest(f"{n}-{machine}"), label=f"M{machine}"
            )
        licenses.append(issued.license)
    other = personas.make_customer("otto@other.example")
    held = personal_organization(user=other)
    services.issue_license(plan=chosen, organization=held, actor=services.Actor.system())
    integrator = Organization.objects.create(name="Integrator")
    Membership.objects.create(organization=integrator, user=customer, role=Membership.Role.OWNER)
    now = timezone.now()
    IntegratorGrant.objects.create(
        customer=held, integrator=integrator, email=customer.email, expires_at=now, accepted_by=customer,
        accepted_at=now,
    )  # fmt: skip
    urls = {
        "license list": reverse("licensing:list"),
        "license detail": reverse("licensing:detail", kwargs={"license_id": licenses[0].public_id}),
        "integrator overview": reverse("licensing:integrators"),
        "account page": reverse("accounts:dashboard"),
        "profile page": reverse("accounts:profile"),  # the layout and a two-field form: the floor
    }
    for url in urls.values():  # the first visits record the session and fill the caches
        assert customer_client.get(url, secure=True).status_code == 200
    return urls


def cost(client, url: str) -> tuple[list[str], list]:
    """The SQL statements and the Redis round trips of one request."""
    with CaptureQueriesContext(connection) as queries, redis_round_trips() as round_trips:
        assert client.get(url, secure=True).status_code == 200
    return [query["sql"] for query in queries.captured_queries], round_trips


# page -> (SQL statements, Redis round trips)
EXPECTED = {
    "license list": (8, 1),
    "license detail": (9, 2),  # the machines' advisories, from the shared cache
    "integrator overview": (7, 1),  # the grants, then the licenses they cover by their ids
    "account page": (7, 1),
    "profile page": (2, 1),  # the user and the policy change notices: what every signed-in page pays
}


@pytest.mark.parametrize("page", EXPECTED)
def test_a_signed_in_page_costs_what_it_did(pages, customer_client, page):
    statements, round_trips = cost(customer_client, pages[page])
    assert (len(statements), len(round_trips)) == EXPECTED[page], "\n".join(statements)


@pytest.mark.parametrize("page", EXPECTED)
def test_no_page_reads_the_session_row_or_writes_the_session_list(pages, customer_client, page):
    statements, _ = cost(customer_client, pages[page])
    assert not [sql for sql in statements if "django_session" in sql]
    assert not [sql for sql in statements if "usersessions_usersession" in sql]
    assert not [sql for sql in statements if sql.startswith(("UPDATE", "INSERT", "DELETE"))]


def test_the_floor_is_the_user_and_the_notices(pages, customer_client):
    statements, _ = cost(customer_client, pages["profile page"])
    assert [sql.split(" FROM ")[1].split()[0] for sql in statements] == [
        '"accounts_user"',
        '"legal_changenotice"',
    ]


def test_the_terms_gate_is_one_query(pages, customer_client):
    statements, _ = cost(customer_client, pages["license list"])
    assert len([sql for sql in statements if sql.startswith('SELECT "legal_policy"')]) == 1
    assert not [sql for sql in statements if sql.startswith('SELECT 1 AS "a" FROM "legal_acceptance"')]
