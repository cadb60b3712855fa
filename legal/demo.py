"""Demo content: the shipped policies, accepted by the demo accounts the other apps created."""

from django.contrib.auth import get_user_model

from legal import loader, services
from legal.models import Acceptance, Policy


def seed(stdout) -> list[str]:
    loader.load()  # bin/run loads them before seeding too; loading twice changes nothing
    # Demo accounts did not sign up through the form, so they never accepted the Terms;
    # record it, or the license pages would first ask them to.
    for user in (
        get_user_model().objects.filter(is_active=True).exclude(pk__in=Acceptance.objects.values("user_id"))
    ):
        services.record_signup_acceptances(user=user)
    lines = []
    for policy in Policy.objects.all():
        version = policy.version_in_force()
        if version is not None:
            lines.append(f"{policy.name}: version {version.number} at {policy.get_absolute_url()}")
    return lines
