"""Organization data for the privacy tests' person: a company they own, with an invitation each way."""

from organizations import invitations
from organizations.services import create_organization
from tests import personas


def seed(user) -> None:
    company = create_organization(user=user, name="Front Desk Security")
    invitations.invite(by=user, organization=company, email="colleague@customer.example", role="viewer")
    other = personas.make_customer("owner@partner.example")
    partner = create_organization(user=other, name="Partner Security")
    invitations.invite(by=other, organization=partner, email=user.email, role="manager")
