"""How a customer's licenses and machines stand: what to show first, and what needs attention."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    Exists,
    F,
    FilteredRelation,
    Func,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Value,
    Window,
)
from django.utils import timezone

from kalytera.prepared import PreparedLookup
from licensing import security
from licensing.access import covered, grants_reaching, licenses_in, reach
from licensing.links import detail_path
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


class _Days(Func):
    """A whole number of days as an interval, as ``timedelta(days=n)`` (the connection runs in UTC)."""

    template = "make_interval(days => %(expressions)s)"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps durations on SQLite as microseconds.
        template = "(%(expressions)s * 86400000000)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class _Quarter(Func):
    """A quarter of a duration (a subscription's short-term window, ``License.expiring_soon``)."""

    template = "(%(expressions)s) / 4"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # Whole microseconds, as Django keeps durations on SQLite (a fraction would not add to a moment).
        template = "CAST((%(expressions)s) / 4 AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class _Versions(StringAgg):
    """The versions of the aggregated machines as a list, on every database.

    Joined with commas in SQL and split here: a version has no comma (``licensing.openapi.VERSION``).
    """

    def __init__(self, expression: str, **extra) -> None:
        super().__init__(expression, delimiter=Value(","), **extra)  # no default: it would wrap the converter

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), _split_versions]


def _split_versions(value: str | None, expression, connection) -> list[str]:
    return value.split(",") if value else []  # None: no machine reports a version


def with_machines(licenses: QuerySet[License], now: datetime) -> QuerySet[License]:
    """``licenses`` with what the lists show of their machines, in the same query.

    ``machines_used``: active machines; ``machines_offline``: those of them that missed their
    check-in (``is_offline``, the rule of the detail page, in SQL); ``versions_reported``: the
    version each active machine reports (one entry per machine), for ``Site``'s security updates.
    """
    active = Q(activations__is_active=True)
    missed = Q(activations__last_seen_at__lt=Value(now) - _Days(F("plan__offline_validity_days")))
    return licenses.select_related("plan__product").annotate(
        machines_used=Count("activations", filter=active),
        machines_offline=Count("activations", filter=active & missed),
        versions_reported=_Versions(
            "activations__product_version", filter=active & ~Q(activations__product_version="")
        ),
    )


@dataclass(frozen=True)
class Site:
    """One license on a list, with what needs attention, ready to show (no work per row in a template)."""

    license: License
    href: str  # its page
    label: str
    badge: str
    offline: int
    machines: int
    upgrade_plan_ending: bool
    to_update: int  # machines on a version a security advisory affects
    expires_at: str  # ISO 8601 in the current time zone, for <time datetime>; "" when it never expires
    expires_on: str  # the day, as the pages write dates
    upgrade_plan_until: str  # the day, or ""

    @property
    def needs_attention(self) -> bool:
        """Not simply fine: stopped, expiring, in grace, or with machines offline or to update."""
        return self.badge != "ok" or bool(self.offline) or bool(self.to_update)


def sites(licenses: list[License], now: datetime) -> list[Site]:
    """The rows of ``licenses`` loaded through ``with_machines``; one advisory lookup per product."""
    to_update = security.reported_to_update(licenses)
    rows = []
    for license in licenses:
        expires = timezone.localtime(license.expires_at) if license.expires_at else None
        until = license.upgrade_plan_until
        rows.append(
            Site(
                license,
                detail_path(license),
                *of(license, now),
                license.machines_offline,  # type: ignore[attr-defined]  # with_machines
                license.machines_used,  # type: ignore[attr-defined]
                upgrade_plan_ending(license, now),
                to_update.get(license.pk, 0),
                expires.isoformat() if expires else "",
                f"{expires:%Y-%m-%d}" if expires else "",
                f"{until:%Y-%m-%d}" if until else "",
            )
        )
    return rows


# The account home names at most this many licenses; the license list has them all.
AT_A_GLANCE_MOST = 20


@dataclass(frozen=True)
class Glance:
    """The account home's answer to "is everything fine?"."""

    attention: list[Site]  # the first AT_A_GLANCE_MOST licenses needing attention, by expiry
    more: int  # how many more need attention
    has_licenses: bool

    @property
    def count(self) -> int:
        return len(self.attention) + self.more


def needing_attention(now: datetime, affected: dict[int, list[str]]) -> Q:
    """The licenses that ``Site.needs_attention`` would keep, as a filter the database applies.

    The rules of ``of`` and ``is_offline`` in SQL, and active machines on a version that
    ``affected`` (product id -> versions an advisory affects) names.
    """
    window = _Quarter(F("expires_at") - F("starts_at"))
    soon = timedelta(days=settings.LICENSING_EXPIRING_SOON_DAYS)
    dated = Q(expires_at__isnull=False) & ~Q(plan__kind=Plan.Kind.PERPETUAL)
    expiring = Q(expires_at__lt=now) | (Q(expires_at__lt=now + soon) & Q(expires_at__lt=Value(now) + window))
    active = Activation.objects.filter(license=OuterRef("pk"), is_active=True)
    missed = Value(now) - _Days(OuterRef("plan__offline_validity_days"))
    offline = Q(Exists(active.filter(last_seen_at__lt=missed)))
    attention = ~Q(status=License.Status.ACTIVE) | (dated & expiring) | offline
    for product_id, versions in affected.items():
        if versions:
            attention |= Q(plan__product_id=product_id) & Q(
                Exists(active.filter(product_version__in=versions))
            )
    return attention


# Up to this many licenses, judging each row in Python is cheaper than having the database
# choose; beyond, the database chooses, so the page stays bounded however many there are.
JUDGED_ROW_BY_ROW = 200


def _held() -> PreparedLookup[License]:
    """The account home's first query, compiled once per process (the same SQL for everyone)."""
    return PreparedLookup(
        License,
        lambda organizations, licenses, now: with_machines(
            licenses_in(organizations, licenses), now
        ).order_by("expires_at", "pk")[: JUDGED_ROW_BY_ROW + 1],
        organizations=list,
        licenses=list,
        now=datetime,
    )


_HELD = _held()


def at_a_glance(user, now: datetime) -> Glance:
    """The person's licenses that are not simply fine, the first ``AT_A_GLANCE_MOST`` by expiry.

    Bounded, whatever the number of licenses the person sees: up to ``JUDGED_ROW_BY_ROW``
    are judged row by row (``Site.needs_attention``); a person who sees more gets the choice
    of the database (``needing_attention``, the same rules).
    """
    reached = reach(user)
    visible = reached.licenses_visible()
    held = _HELD.all(organizations=sorted(reached.organizations), licenses=sorted(reached.licenses), now=now)
    if len(held) > JUDGED_ROW_BY_ROW:
        return _chosen_by_the_database(visible, now)
    rows = [site for site in sites(held, now) if site.needs_attention]
    return Glance(rows[:AT_A_GLANCE_MOST], max(0, len(rows) - AT_A_GLANCE_MOST), bool(held))


def _chosen_by_the_database(visible: QuerySet[License], now: datetime) -> Glance:
    """First the products and the versions their active machines report (one row each, however
    many licenses), looked up in the cached advisories as ``security.reported_to_update`` does;
    then the database chooses the licenses needing attention and counts them in the same query."""
    machine = FilteredRelation("activations", condition=Q(activations__is_active=True))
    reported = (
        visible.annotate(machine=machine)
        .values_list("plan__product_id", "machine__product_version")
        .order_by()
        .distinct()
    )
    versions_of: dict[int, set[str]] = {}
    for product_id, version in reported:
        versions_of.setdefault(product_id, set()).update([version] if version else [])
    affected = {
        product_id: [
            version for version, found in security.advisories_by_version(product_id, texts).items() if found
        ]
        for product_id, texts in versions_of.items()
        if texts
    }
    chosen = visible.filter(needing_attention(now, affected))
    # Counted over the chosen rows in the same statement (there are few: they need attention).
    first = with_machines(chosen, now).annotate(total=Window(Count("pk"))).order_by("expires_at", "pk")
    attention = sites(list(first[:AT_A_GLANCE_MOST]), now)
    more = attention[0].license.total - len(attention) if attention else 0  # type: ignore[attr-defined]
    return Glance(attention, more, has_licenses=True)


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


# The overview's two queries, compiled once per process: the SQL is the same for everyone
# but the user's id and the time.
_GRANTS = PreparedLookup(
    IntegratorGrant,
    lambda user_id: (
        grants_reaching(user_id).select_related("customer", "integrator").order_by("customer__name")
    ),
    user_id=int,
)
_LOOKED_AFTER = PreparedLookup(
    License,
    lambda organizations, licenses, now: with_machines(licenses_in(organizations, licenses), now).order_by(
        "organization__name", "expires_at", "pk"
    ),
    organizations=list,
    licenses=list,
    now=datetime,
)


def looked_after(user, now: datetime) -> list[Customer]:
    """Every site ``user``'s organizations look after as integrators, by customer (fixed query count)."""
    grants = _GRANTS.all(user_id=user.pk)
    organizations, licenses = covered(grants)
    by_customer: dict[int, list[Site]] = {}
    for site in sites(_LOOKED_AFTER.all(organizations=organizations, licenses=licenses, now=now), now):
        assert site.license.organization_id is not None  # granted licenses are held
        by_customer.setdefault(site.license.organization_id, []).append(site)
    customers: dict[int, Customer] = {}
    for grant in grants:
        found = by_customer.get(grant.customer_id, [])
        customers.setdefault(grant.customer_id, Customer(grant.customer, [], found)).grants.append(grant)
    return list(customers.values())
