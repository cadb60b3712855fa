"""The license list and the organization pages cost the same queries however many organizations,
members, licenses, invitations and API tokens there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing import services
from organizations import api_tokens, invitations
from organizations.models import Membership
from organizations.services import create_organization
from tests import personas
from tests.licensing.conftest import digest
from tests.organizations.conftest import signed_in

pytestmark = pytest.mark.django_db


def grow(customer, plan, round_: int) -> None:
    """One more organization of the customer's with colleagues, licenses and machines; more in the first."""
    organization = create_organization(user=customer, name=f"Site group {round_}")
    first = customer.memberships.order_by("pk").first().organization
    for n in range(3):
        colleague = personas.make_customer(f"colleague-{round_}-{n}@northwind.example")
        Membership.objects.create(organization=organization, user=colleague, role="viewer")
        Membership.objects.create(organization=first, user=colleague, role="manager")
        for held_by in (organization, first):
            key = services.issue_license(plan=plan, organization=held_by, actor=services.Actor.system()).key
            services.activate_machine(key=key, fingerprint=digest(f"{round_}-{n}-{held_by.pk}"))
        address = f"invited-{round_}-{n}@x.example"
        invitations.invite(by=customer, organization=first, email=address, role="viewer")
        api_tokens.create(by=customer, organization=first, name=f"Token {round_}-{n}")


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200, url
    return len(context)


def test_pages_cost_the_same_number_of_queries_as_organizations_grow(members, company, company_license, plan):
    customer = members["owner"]
    client = signed_in(customer)
    license, _key, _activation = company_license
    pages = [
        reverse("licensing:list"),
        reverse("licensing:detail", args=[license.public_id]),
        reverse("organizations:list"),
        reverse("organizations:detail", args=[company.public_id]),
        reverse("licensing:claim"),
    ]
    grow(customer, plan, 0)
    for url in pages:
        count_queries(client, url)  # first visits may record things once
    before = {url: count_queries(client, url) for url in pages}
    grow(customer, plan, 1)
    grow(customer, plan, 2)
    after = {url: count_queries(client, url) for url in pages}
    assert {url: (before[url], after[url]) for url in pages if before[url] != after[url]} == {}
