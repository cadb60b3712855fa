"""Every customer page costs the same number of queries however much the customer has.

Each page is counted with a little data, then again after the customer gained more
licenses, machines, license events, security events, inquiries and signed-in sessions.
The license pages have their own, finer test in tests/licensing/test_views.py.

The list of signed-in sessions is allauth's: it checks each session it lists (two
queries per session), so it grows with the sessions, a handful per person, and with
nothing else.
"""

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import SecurityEvent
from contact.models import Inquiry
from licensing import services
from licensing.models import Plan, Product
from organizations.services import personal_organization

pytestmark = pytest.mark.django_db

PAGES = [
    "accounts:dashboard",
    "accounts:profile",
    "privacy:center",
    "privacy:your_data",
    "privacy:security_timeline",
    "account_email",
    "contact:form",
    "licensing:list",
]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def plan(db) -> Plan:
    product = Product.objects.create(slug="kalytera-vms", name="Kalytera VMS")
    return Plan.objects.create(
        product=product, code="pro-1y", name="Pro", kind=Plan.Kind.SUBSCRIPTION, duration_days=365,
        channels=32, max_machines=5, moves_per_year=50,
    )  # fmt: skip


def grow(customer, plan: Plan, round_: int, *, sessions: bool = True) -> None:
    """More of everything a customer can accumulate."""
    for n in range(3):
        key = services.issue_license(
            plan=plan, organization=personal_organization(user=customer), actor=services.Actor.system()
        ).key
        for machine in range(2):
            services.activate_machine(
                key=key, fingerprint=digest(f"{round_}-{n}-{machine}"), label=f"M{machine}"
            )
        services.validate(key=key, fingerprint=digest(f"unknown-{round_}-{n}"))
        SecurityEvent.objects.create(user=customer, kind=SecurityEvent.Kind.LOGIN, ip="192.0.2.1")
        Inquiry.objects.create(
            name="Carla", email=customer.email, topic="support", message="Help.", user=customer
        )
    if sessions:
        other = Client()
        other.force_login(customer)
        other.get(reverse("accounts:dashboard"))  # records another signed-in session


def count_queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse(name), secure=True)
    assert response.status_code == 200, name
    return len(context)


def test_customer_pages_cost_the_same_number_of_queries_with_more_data(customer_client, customer, plan):
    grow(customer, plan, 0)
    for name in PAGES:
        count_queries(customer_client, name)  # first visits may record things once
    before = {name: count_queries(customer_client, name) for name in PAGES}
    grow(customer, plan, 1)
    grow(customer, plan, 2)
    after = {name: count_queries(customer_client, name) for name in PAGES}
    changed = {name: (before[name], after[name]) for name in PAGES if before[name] != after[name]}
    assert changed == {}


def test_the_session_list_grows_with_nothing_but_sessions(customer_client, customer, plan):
    grow(customer, plan, 0, sessions=False)
    count_queries(customer_client, "usersessions_list")
    before = count_queries(customer_client, "usersessions_list")
    grow(customer, plan, 1, sessions=False)
    grow(customer, plan, 2, sessions=False)
    assert count_queries(customer_client, "usersessions_list") == before
