"""Demo content: a product with releases and plans, and licenses with machines for the demo customer."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts.demo import DEMO_CUSTOMER
from accounts.models import User
from kalytera_client import identity
from licensing import keys, services
from licensing.models import License, Plan, Product, Release
from licensing.services import Actor

RELEASES = [("6.0.0", date(2025, 3, 4)), ("6.1.0", date(2025, 10, 14)), ("6.2.0", date(2026, 6, 2))]
PLANS: list[dict[str, Any]] = [
    dict(code="pro-1y", name="Professional (1 year)", kind=Plan.Kind.SUBSCRIPTION, duration_days=365,
         channels=32, max_machines=2, features=["analytics", "lpr"]),
    dict(code="enterprise-perpetual", name="Enterprise (perpetual)", kind=Plan.Kind.PERPETUAL,
         duration_days=None, channels=128, max_machines=4, features=["analytics", "lpr", "video_wall"]),
    dict(code="trial-30d", name="Trial (30 days)", kind=Plan.Kind.TRIAL, duration_days=30, channels=16,
         max_machines=1, features=["analytics"], grace_days=0, moves_per_year=0),
]  # fmt: skip


def _machine(name: str) -> identity.MachineIdentity:
    # What the VMS sends, derived by the reference client from made-up raw identifiers.
    return identity.derive(
        f"demo-{name}", {"board": f"MB-{name}", "disk0": f"SN-{name}", "nic0": f"NIC-{name}"}
    )


def _activate(key: str, name: str, label: str, version: str, **kwargs) -> None:
    machine = _machine(name)
    services.activate_machine(
        key=key,
        fingerprint=machine.fingerprint,
        components=list(machine.components),
        label=label,
        product_version=version,
        **kwargs,
    )


def _check_in_history(key: str, name: str, version: str, cameras: int, now) -> None:
    """A month of daily check-ins with usage counts, so the staff statistics have figures to show."""
    for days_ago in range(30, -1, -1):
        services.validate(
            key=key,
            fingerprint=_machine(name).fingerprint,
            product_version=version,
            usage={"cameras": cameras + days_ago % 3},
            now=now - timedelta(days=days_ago),
        )


def seed(stdout) -> list[str]:
    product, _ = Product.objects.get_or_create(slug="kalytera-vms", defaults={"name": "Kalytera VMS"})
    for version, released_on in RELEASES:
        Release.objects.get_or_create(product=product, version=version, defaults={"released_on": released_on})
    plans = {}
    for fields in PLANS:
        plans[fields["code"]], _ = Plan.objects.get_or_create(
            code=fields["code"], defaults={**fields, "product": product}
        )
    customer = User.objects.filter(email=DEMO_CUSTOMER).first()
    if customer is None:
        return []
    existing = License.objects.filter(owner=customer, plan=plans["pro-1y"]).order_by("-expires_at").first()
    if existing is not None:
        return [f"Demo license key ({customer.email}): {keys.unseal(existing.key_sealed)}"]

    now = timezone.now()
    pro = services.issue_license(
        plan=plans["pro-1y"], owner=customer, actor=Actor.system(), now=now - timedelta(days=40)
    )
    _activate(pro.key, "recorder-1", "Recorder 1 (head office)", "6.2.0", now=now - timedelta(days=31))
    _check_in_history(pro.key, "recorder-1", "6.2.0", 24, now)
    # A perpetual license whose upgrade plan ended before 6.2.0 was released.
    perpetual = services.issue_license(
        plan=plans["enterprise-perpetual"],
        owner=customer,
        actor=Actor.system(),
        now=now - timedelta(days=600),
    )
    _activate(perpetual.key, "warehouse", "Warehouse NVR", "6.1.0", now=now - timedelta(days=31))
    _check_in_history(perpetual.key, "warehouse", "6.1.0", 60, now)
    # A subscription that lapsed last week: in its grace period.
    lapsed = services.issue_license(
        plan=plans["pro-1y"], owner=customer, actor=Actor.system(), now=now - timedelta(days=372)
    )
    _activate(lapsed.key, "branch", "Branch office", "6.2.0", now=now - timedelta(days=10))
    # An unassigned key to try the claim page with.
    spare = services.issue_license(plan=plans["pro-1y"], owner=None, actor=Actor.system())
    return [
        f"Demo license key ({customer.email}): {pro.key}",
        f"Unclaimed demo key (add it at /licenses/claim/): {spare.key}",
    ]
