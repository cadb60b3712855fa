import hashlib
from datetime import date
from itertools import count

import pytest

from accounts.models import User
from licensing import services
from licensing.models import Plan, Product, Release
from licensing.services import Actor
from organizations.models import Organization
from organizations.services import personal_organization

_serial = count()


def held_by(owner: User | Organization | None) -> Organization | None:
    """The organization that holds what is issued to ``owner``: a person's own, or the one given."""
    if isinstance(owner, User):
        return personal_organization(user=owner)
    return owner


def digest(text: str) -> str:
    """A fingerprint or component digest as a VMS sends it."""
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def product(db):
    product = Product.objects.create(slug="kalytera-vms", name="Kalytera VMS")
    Release.objects.create(product=product, version="6.0.0", released_on=date(2025, 3, 4))
    Release.objects.create(product=product, version="6.2.0", released_on=date(2026, 6, 2))
    return product


@pytest.fixture
def make_plan(product):
    def make(kind: str = Plan.Kind.SUBSCRIPTION, **fields) -> Plan:
        n = next(_serial)
        defaults = {
            "product": product,
            "code": f"plan-{n}",
            "name": f"Plan {n}",
            "kind": kind,
            "duration_days": None if kind == Plan.Kind.PERPETUAL else 365,
            "channels": 32,
            "max_machines": 2,
            "features": ["analytics", "lpr"],
            "moves_per_year": 3,
            "hardware_changes_per_year": 2,
        }
        return Plan.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture
def plan(make_plan):
    return make_plan()


@pytest.fixture
def issue(plan):
    """Issue a license to a person's own organization, another one, or none; returns (license, key)."""

    def make(owner=None, *, plan_=None, **kwargs):
        issued = services.issue_license(
            plan=plan_ or plan, organization=held_by(owner), actor=Actor.system(), **kwargs
        )
        return issued.license, issued.key

    return make


@pytest.fixture
def owned_license(issue, customer):
    return issue(customer)
