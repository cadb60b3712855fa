"""Organization data for the privacy tests' person: a company that gave an integrator access."""

from licensing.services import integrators
from organizations.services import create_organization
from tests import personas


def seed(user) -> None:
    company = create_organization(user=user, name="Privacy Company")
    lead = personas.make_customer("lead@privacy-integrator.example")
    integrator = create_organization(user=lead, name="Privacy Integrator")
    invitation = integrators.invite_integrator(by=user, customer=company, email=lead.email, scope="view")
    integrators.accept_invitation(user=lead, token=invitation.token, integrator=integrator)
