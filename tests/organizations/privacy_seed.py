"""Organization data for the privacy tests' person: a company they own with an API token, invitations."""

from organizations import api_tokens, invitations
from organizations.services import create_organization
from tests import personas


def seed(user) -> None:
    company = create_organization(user=user, name="Front Desk Security")
    invitations.invite(by=user, organization=company, email="colleague@customer.example", role="viewer")
    api_tokens.create(by=user, organization=company, name="Monitoring")
    other = personas.make_customer("owner@partner.example")
    partner = create_organization(user=other, name="Partner Security")
    invitations.invite(by=other, organization=partner, email=user.email, role="manager")
