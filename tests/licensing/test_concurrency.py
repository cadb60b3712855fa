"""Seat limits under real concurrency: many VMS servers activating at once through a live server.

The live server answers each request in its own thread with its own database connection,
so the requests below really race inside PostgreSQL.
"""

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from licensing.models import Activation, LicenseEvent
from tests.licensing.conftest import digest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 16


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.LICENSING_API_RATE_PER_ADDRESS = "10000/m"
    settings.LICENSING_API_RATE_PER_LICENSE = "10000/m"


def race(url: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body at the same moment; return (status, answer) per body."""
    start = threading.Barrier(len(bodies))

    def call(body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            url, json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(call, bodies))


def test_n_seats_hit_by_many_concurrent_activations_give_exactly_n(live_server, issue, customer, make_plan):
    license, key = issue(customer, plan_=make_plan(max_machines=3))
    bodies = [{"license_key": key, "fingerprint": digest(f"server-{n}")} for n in range(RACERS)]
    answers = race(f"{live_server.url}/api/v1/activations", bodies)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 3 + [409] * (RACERS - 3)
    assert {a["error"]["code"] for s, a in answers if s == 409} == {"TOO_MANY_MACHINES"}
    assert Activation.objects.filter(license=license, is_active=True).count() == 3
    assert license.events.filter(kind=LicenseEvent.Kind.ACTIVATED).count() == 3


def test_the_same_machine_racing_itself_gets_one_activation(live_server, issue, customer):
    license, key = issue(customer)
    bodies = [{"license_key": key, "fingerprint": digest("one-server")} for _ in range(8)]
    answers = race(f"{live_server.url}/api/v1/activations", bodies)
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({answer["activation"]["id"] for _, answer in answers}) == 1
    assert Activation.objects.filter(license=license).count() == 1


def test_two_accounts_claiming_one_key_at_once_leave_one_owner(issue):
    from django.db import connection

    from licensing import services
    from tests import personas

    license, key = issue(None)
    people = [personas.make_customer(f"racer{n}@customer.example") for n in range(6)]
    start = threading.Barrier(len(people))

    def claim(person) -> str:
        start.wait()
        try:
            services.claim_license(user=person, key=key)
            return "claimed"
        except services.LicensingError as refused:
            return refused.code
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        outcomes = sorted(pool.map(claim, people))
    assert outcomes == ["LICENSE_TAKEN"] * 5 + ["claimed"]
    license.refresh_from_db()
    assert license.organization.personal_for in people
    assert license.events.filter(kind=LicenseEvent.Kind.CLAIMED).count() == 1
