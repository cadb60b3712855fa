import pytest
from django.utils import timezone

from community import services
from community.models import Category, Profile
from legal import services as legal
from tests import personas


@pytest.fixture
def category(db):
    return Category.objects.create(name="Cameras and devices", slug="cameras")


def member(email: str, name: str, *, trusted: bool = True):
    """A customer with a display name whose posts appear at once (unless ``trusted`` is False)."""
    user = personas.make_customer(email)
    legal.record_signup_acceptances(user=user)  # as at sign-up: the Terms in force, if any
    services.choose_display_name(user=user, name=name)
    if trusted:
        Profile.objects.filter(user=user).update(trusted_at=timezone.now())
    return user


@pytest.fixture
def asker(db):
    return member("asker@customer.example", "Asker")


@pytest.fixture
def helper(db):
    return member("helper@customer.example", "Helper")


@pytest.fixture
def question(asker, category):
    return services.start_topic(
        author=asker,
        category=category,
        title="Stream drops after upgrade",
        body="Two cameras lose their stream.",
    )


from tests.licensing.conftest import digest, issue, make_plan, plan, product  # noqa: E402,F401  (fixtures)


@pytest.fixture
def form_token(settings):
    from contact import spam

    settings.CONTACT_MIN_FILL_SECONDS = 0
    return spam.issue_token(min_seconds=0)
