"""The license list, the integrator overview and the organization pages cost the same queries
however many organizations, members, grants, licenses, invitations and API tokens there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing import services
from licensing.services import integrators
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


def grow_customers(integrator, plan, round_: int) -> None:
    """Two more customers of the integrator, one granting all its licenses and one chosen ones,
    each with licenses and machines; and one more grant of the first customer's."""
    organization, people = integrator
    for n, chosen in enumerate((False, True)):
        owner = personas.make_customer(f"owner-{round_}-{n}@customer-{round_}.example")
        customer = create_organization(user=owner, name=f"Customer {round_}-{n}")
        licenses = []
        for m in range(2):
            issued = services.issue_license(plan=plan, organization=customer, actor=services.Actor.system())
            services.activate_machine(key=issued.key, fingerprint=digest(f"c-{round_}-{n}-{m}"))
            licenses.append(issued.license)
        invitation = integrators.invite_integrator(
            by=owner, customer=customer, email=people["owner"].email, scope="manage" if n else "view",
            licenses=licenses[:1] if chosen else None, send_reminders=bool(n),
        )  # fmt: skip
        integrators.accept_invitation(user=people["owner"], token=invitation.token, integrator=organization)


def test_integrator_pages_cost_the_same_queries_as_customers_grants_and_licenses_grow(
    customer, company, company_license, integrator, grant_to, plan
):
    organization, people = integrator
    grant_to(organization, "manage")
    license, _key, _activation = company_license
    pages = {
        people["manager"]: [
            reverse("licensing:integrators"),
            reverse("licensing:list"),
            reverse("licensing:detail", args=[license.public_id]),
            reverse("organizations:detail", args=[organization.public_id]),
            reverse("organizations:list"),
        ],
        customer: [reverse("organizations:detail", args=[company.public_id])],
    }
    clients = {person: signed_in(person) for person in pages}
    grow_customers(integrator, plan, 0)
    counted = [(person, url) for person, urls in pages.items() for url in urls]
    for person, url in counted:
        count_queries(clients[person], url)
    before = {url: count_queries(clients[person], url) for person, url in counted}
    grow_customers(integrator, plan, 1)
    grow_customers(integrator, plan, 2)
    for n in range(3):  # and more integrators of the customer, active and invited
        lead = personas.make_customer(f"lead-{n}@integrator-{n}.example")
        grant_to(create_organization(user=lead, name=f"Integrator {n}"), "view")
        integrators.invite_integrator(by=customer, customer=company, email=f"x{n}@example.com", scope="view")
    after = {url: count_queries(clients[person], url) for person, url in counted}
    assert {url: (before[url], after[url]) for url in before if before[url] != after[url]} == {}
    overview = clients[people["manager"]].get(reverse("licensing:integrators")).content.decode()
    assert overview.count('<section class="card"') == 7  # Northwind and six grown customers
