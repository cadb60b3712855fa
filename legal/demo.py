"""Demo content: the shipped policies, and the demo customer's acceptance of them."""

from accounts.demo import DEMO_CUSTOMER
from accounts.models import User
from legal import loader, services
from legal.models import Acceptance, Policy


def seed(stdout) -> list[str]:
    loader.load()  # also run by bin/run before seeding; loading twice changes nothing
    customer = User.objects.filter(email=DEMO_CUSTOMER).first()
    if customer is not None and not Acceptance.objects.filter(user=customer).exists():
        services.record_signup_acceptances(user=customer)
    lines = []
    for policy in Policy.objects.all():
        version = policy.version_in_force()
        if version is not None:
            lines.append(f"{policy.name}: version {version.number} at {policy.get_absolute_url()}")
    return lines
