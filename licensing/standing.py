"""How a customer's licenses and machines stand: what to show first, and what needs attention."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q

from licensing import security
from licensing.access import grants_reaching, licenses_looked_after, visible_licenses
from licensing.models import Activation, License, Plan
from organizations.models import IntegratorGrant, Organization


def of(license: License, now: datetime) -> tuple[str, str]:
    """What the customer must know first about a license: a label and its badge style."""
    if license.status == License.Status.REVOKED:
        return "Revoked", "bad"
    if license.status == License.Status.SUSPENDED:
        return "Suspended", "bad"
    state = license.runtime_state(now)
    if state == "expired":
        return "Expired", "bad"
    if state == "grace":
        return f"In grace until {license.grace_ends_at:%Y-%m-%d}", "warn"
    if license.expiring_soon(now):
        return f"Expires soon ({license.expires_at:%Y-%m-%d})", "warn"
    return "Active", "ok"


def is_offline(activation: Activation, plan: Plan, now: datetime) -> bool:
    """An active machine that missed its check-in: its certificate has run out by now."""
    return activation.is_active and activation.last_seen_at < now - timedelta(days=plan.offline_validity_days)


def offline_counts(license_ids: list[int], now: datetime) -> dict[int, int]:
    counts: dict[int, int] = {}
    machines = Activation.objects.filter(license__in=license_ids, is_active=True)
    machines = machines.select_related("license__plan")
    for activation in machines.only("is_active", "last_seen_at", "license__plan__offline_validity_days"):
        if is_offline(activation, activation.license.plan, now):
            counts[activation.license_id] = counts.get(activation.license_id, 0) + 1
    return counts


def needing_attention(user, now: datetime) -> list[tuple[License, str, str, int, int]]:
    """The person's licenses that are not simply fine: stopped, expiring, in grace, with a machine
    that stopped checking in, or with machines on a version a security advisory affects; each with
    its standing, badge, offline machines and machines to update."""
    held = visible_licenses(user).select_related("plan__product").order_by("expires_at")
    licenses = list(held)
    offline = offline_counts([license.pk for license in licenses], now)
    to_update = security.machines_to_update(licenses)
    rows = [
        (license, *of(license, now), offline.get(license.pk, 0), to_update.get(license.pk, 0))
        for license in licenses
    ]
    return [row for row in rows if row[2] != "ok" or row[3] or row[4]]


@dataclass(frozen=True)
class Site:
    """One license an integrator looks after, with what needs its attention."""

    license: License
    label: str
    badge: str
    offline: int
    machines: int
    upgrade_plan_ending: bool
    to_update: int  # machines on a version a security advisory affects


@dataclass(frozen=True)
class Customer:
    organization: Organization
    grants: list[IntegratorGrant]  # the person's organizations' grants from this customer
    sites: list[Site]


def upgrade_plan_ending(license: License, now: datetime) -> bool:
    """A perpetual license whose upgrade plan ends within the reminder horizon (or just ended)."""
    if license.kind != Plan.Kind.PERPETUAL or license.upgrade_plan_until is None:
        return False
    days_left = (license.upgrade_plan_until - now.date()).days
    return -UPGRADE_PLAN_RECENT_DAYS <= days_left <= settings.LICENSING_EXPIRING_SOON_DAYS


UPGRADE_PLAN_RECENT_DAYS = 7


def looked_after(user, now: datetime) -> list[Customer]:
    """Every site ``user``'s organizations look after as integrators, by customer (fixed query count)."""
    grants = list(grants_reaching(user).select_related("customer", "integrator").order_by("customer__name"))
    looked = (
        licenses_looked_after(user)
        .select_related("plan__product", "organization")
        .annotate(machines_used=Count("activations", filter=Q(activations__is_active=True)))
        .order_by("organization__name", "expires_at", "pk")
    )
    licenses = list(looked)
    offline = offline_counts([license.pk for license in licenses], now)
    to_update = security.machines_to_update(list[License](licenses))
    by_customer: dict[int, list[Site]] = {}
    for license in licenses:
        assert license.organization_id is not None  # granted licenses are held
        by_customer.setdefault(license.organization_id, []).append(
            Site(
                license,
                *of(license, now),
                offline.get(license.pk, 0),
                license.machines_used,
                upgrade_plan_ending(license, now),
                to_update.get(license.pk, 0),
            )
        )
    customers: dict[int, Customer] = {}
    for grant in grants:
        sites = by_customer.get(grant.customer_id, [])
        customers.setdefault(grant.customer_id, Customer(grant.customer, [], sites)).grants.append(grant)
    return list(customers.values())
