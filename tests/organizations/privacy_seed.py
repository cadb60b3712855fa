"""Organization data for the privacy tests' person: a company that gave an integrator access, with
an API token and invitations each way."""

from licensing.services import integrators
from organizations import api_tokens, invitations
from organizations.services import create_organization
from tests import personas


def seed(user) -> None:
    company = create_organization(user=user, name="Privacy Company")
    lead = personas.make_customer("lead@privacy-integrator.example")
    integrator = create_organization(user=lead, name="Privacy Integrator")
    invitation = integrators.invite_integrator(by=user, customer=company, email=lead.email, scope="view")
    integrators.accept_invitation(user=lead, token=invitation.token, integrator=integrator)
    invitations.invite(by=user, organization=company, email="colleague@customer.example", role="viewer")
    api_tokens.create(by=user, organization=company, name="Monitoring")
    other = personas.make_customer("owner@partner.example")
    partner = create_organization(user=other, name="Partner Security")
    invitations.invite(by=other, organization=partner, email=user.email, role="manager")
