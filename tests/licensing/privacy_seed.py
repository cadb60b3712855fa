"""Licensing data for the privacy tests' person: a license with a machine and its history."""

import hashlib

from licensing import services
from licensing.models import Plan, Product
from licensing.services.transfers import offer_transfer
from organizations.services import create_organization, personal_organization
from tests import personas


def seed(user) -> None:
    product, _ = Product.objects.get_or_create(slug="privacy-vms", defaults={"name": "Kalytera VMS"})
    plan, _ = Plan.objects.get_or_create(
        code="privacy-pro",
        defaults={"product": product, "name": "Professional", "kind": Plan.Kind.SUBSCRIPTION,
                  "duration_days": 365, "channels": 16, "max_machines": 2},
    )  # fmt: skip
    key = services.issue_license(
        plan=plan, organization=personal_organization(user=user), actor=services.Actor.system()
    ).key
    services.activate_machine(
        key=key,
        fingerprint=hashlib.sha256(b"privacy-seed-machine").hexdigest(),
        label="Front desk NVR",
        product_version="6.2.0",
    )
    # A transfer offer the person made, and one made to their address by another company.
    license = services.issue_license(
        plan=plan, organization=personal_organization(user=user), actor=services.Actor.system()
    ).license
    offer_transfer(by=user, licenses=[license], recipient_email="friend@elsewhere.example")
    seller = personas.make_customer(f"seller-{user.pk}@elsewhere.example")
    company = create_organization(user=seller, name="Elsewhere Security")
    theirs = services.issue_license(plan=plan, organization=company, actor=services.Actor.system()).license
    offer_transfer(by=seller, licenses=[theirs], recipient_email=user.email)
