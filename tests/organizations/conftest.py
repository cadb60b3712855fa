"""A company with one member of each role, a license with a machine, and someone outside it."""

import pytest
from django.test import Client

from licensing import services
from licensing.services import integrators
from organizations.models import Membership
from organizations.services import create_organization
from tests import personas
from tests.accounts.conftest import reauthenticate, sudo_client  # noqa: F401 (fixtures)
from tests.licensing.conftest import digest, issue, make_plan, plan, product  # noqa: F401 (fixtures)

ROLES = ["owner", "manager", "viewer"]


@pytest.fixture
def company(customer):
    """Northwind, owned by the customer."""
    return create_organization(user=customer, name="Northwind Security")


@pytest.fixture
def members(company, customer):
    """One person per role in the company, and an outsider: ``{"owner": user, ..., "outsider": user}``."""
    people = {"owner": customer}
    for role in ("manager", "viewer"):
        people[role] = personas.make_customer(f"{role}@northwind.example")
        Membership.objects.create(organization=company, user=people[role], role=role)
    people["outsider"] = personas.make_customer("otto@other.example")
    return people


@pytest.fixture
def company_license(company, plan):  # noqa: F811 (the fixture imported above)
    """A license of the company with one active machine: (license, key, activation)."""
    issued = services.issue_license(plan=plan, organization=company, actor=services.Actor.system())
    result = services.activate_machine(key=issued.key, fingerprint=digest("nvr-1"), label="NVR 1")
    return issued.license, issued.key, result.activation


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def integrator(db):
    """Anchor Integrators, an installer with one member per role: ``(organization, {"owner": user, ...})``."""
    lead = personas.make_customer("ivy@anchor-integrators.example")
    organization = create_organization(user=lead, name="Anchor Integrators")
    people = {"owner": lead}
    for role in ("manager", "viewer"):
        people[role] = personas.make_customer(f"{role}@anchor-integrators.example")
        Membership.objects.create(organization=organization, user=people[role], role=role)
    return organization, people


@pytest.fixture
def grant_to(customer, company):
    """Give the integrator organization a grant of ``company`` (accepted): ``grant_to(org, scope, ...)``."""

    def give(organization, scope="view", *, licenses=None, send_reminders=False):
        lead = organization.memberships.filter(role="owner").select_related("user").first().user
        invitation = integrators.invite_integrator(
            by=customer, customer=company, email=lead.email, scope=scope, licenses=licenses,
            send_reminders=send_reminders,
        )  # fmt: skip
        return integrators.accept_invitation(user=lead, token=invitation.token, integrator=organization)

    return give
