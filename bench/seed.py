"""Bulk data for the benchmark: customers, licenses with two machines each, events, inquiries.

Rows are generated inside PostgreSQL (``INSERT ... SELECT generate_series``) in one
statement per table, so a million licenses take minutes, not hours. Seeding tops the
tables up to the requested scale, so a run at 1,000 and then at 1,000,000 licenses
reuses the first thousand. Bulk rows are filler: their keys and machines match nothing a
client sends. The licenses the load uses are issued through the real services
(``probe``), so their keys and machines are genuine.

Runs in the harness process after ``django.setup()`` with the server's settings.
"""

import hashlib
import time
from importlib import import_module

from django.db import connection, transaction

CUSTOMERS_PER_LICENSE = 0.1  # one customer per ten licenses
INQUIRIES_PER_LICENSE = 0.01
BULK_EMAIL_DOMAIN = "bulk.bench.invalid"
PROBE_CUSTOMER = "bench-customer@bench.invalid"
PROBE_PASSWORD = "bench-password-never-used-elsewhere"
LOGIN_ACCOUNTS = 2000  # distinct accounts the login scenario cycles through
OWNED_PROBES = 5  # licenses on the probe customer's list page
MACHINES_ON_DETAIL = 10  # machines on the license detail page the load reads
INTEGRATOR_NAME = "Bench Integrator"
INTEGRATOR_CUSTOMERS = 5  # bulk customers (ten licenses each) granting the integrator


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _scalar(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] or 0


PERSONAL_ORGANIZATIONS = import_module("organizations.migrations.0002_personal_organizations")


def _execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def licensing_available() -> bool:
    from django.apps import apps

    try:
        apps.get_model("licensing", "License")
    except LookupError:
        return False
    return True


def plan():
    from licensing.models import Plan, Product

    product, _ = Product.objects.get_or_create(slug="bench-vms", defaults={"name": "Bench VMS"})
    found, _ = Plan.objects.get_or_create(
        code="bench-plan",
        defaults={"product": product, "name": "Bench", "kind": "subscription", "duration_days": 365,
                  "channels": 64, "max_machines": 1_000_000, "features": ["analytics"],
                  "moves_per_year": 1_000_000_000, "hardware_changes_per_year": 1_000_000_000},
    )  # fmt: skip
    return found


def seed(licenses: int, log=print) -> dict[str, float]:
    """Top the database up to ``licenses`` bulk licenses and their companions; returns timings."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    seed_customers(max(LOGIN_ACCOUNTS, int(licenses * CUSTOMERS_PER_LICENSE)))
    timings["customers_s"] = time.perf_counter() - started
    if licensing_available():
        mark = time.perf_counter()
        seed_licenses(licenses)
        timings["licenses_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    seed_inquiries(int(licenses * INQUIRIES_PER_LICENSE))
    timings["inquiries_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    log(f"Seeded to {licenses:,} licenses in {timings['total_s']:.1f} s ({_counts()})")
    return timings


def _counts() -> str:
    tables = ["accounts_user", "contact_inquiry"]
    if licensing_available():
        tables += ["licensing_license", "licensing_activation", "licensing_licenseevent"]
    return ", ".join(f"{table} {_scalar(f'SELECT count(*) FROM {table}'):,}" for table in tables)


def seed_customers(total: int) -> None:
    """Verified customer accounts, all with the same password (hashed once)."""
    from django.contrib.auth.hashers import make_password

    have = _scalar("SELECT count(*) FROM accounts_user WHERE email LIKE %s", [f"%@{BULK_EMAIL_DOMAIN}"])
    if have >= total:
        return
    password = make_password(PROBE_PASSWORD)
    with transaction.atomic():
        _execute(
            f"""
            INSERT INTO accounts_user (password, is_superuser, email, company, phone, is_active,
                                       is_staff, date_joined, age_confirmed_at)
            SELECT %s, false, 'customer-' || g || '@{BULK_EMAIL_DOMAIN}', '', '', true, false, now(), now()
            FROM generate_series(%s, %s) AS g
            """,
            [password, have + 1, total],
        )
        _execute(
            f"""
            INSERT INTO account_emailaddress (user_id, email, verified, "primary")
            SELECT u.id, u.email, true, true FROM accounts_user u
            WHERE u.email LIKE '%%@{BULK_EMAIL_DOMAIN}'
              AND NOT EXISTS (SELECT 1 FROM account_emailaddress e WHERE e.user_id = u.id)
            """
        )


def seed_licenses(total: int) -> None:
    """Bulk licenses, ten to each bulk customer's own organization in turn; 2 machines, 3 events each.

    Ten each at every scale, so the integrator's customers (the first ``INTEGRATOR_CUSTOMERS``)
    hold the same licenses at a thousand and at a million, and its pages show the same rows.
    """
    chosen = plan()
    have = _scalar("SELECT count(*) FROM licensing_license WHERE key_sealed = 'v1:bench'")
    if have >= total:
        return
    owners = _scalar("SELECT count(*) FROM accounts_user WHERE email LIKE %s", [f"%@{BULK_EMAIL_DOMAIN}"])
    with transaction.atomic():
        # The same statements that gave every account before organizations its own.
        _execute(PERSONAL_ORGANIZATIONS.CREATE_ORGANIZATIONS, [PERSONAL_ORGANIZATIONS.PERSONAL_NAME])
        _execute(PERSONAL_ORGANIZATIONS.CREATE_MEMBERSHIPS)
        first_new = _scalar("SELECT coalesce(max(id), 0) FROM licensing_license") + 1
        _execute(
            f"""
            WITH owners AS (
                SELECT o.id, row_number() OVER (ORDER BY o.personal_for_id) - 1 AS n
                FROM organizations_organization o JOIN accounts_user u ON u.id = o.personal_for_id
                WHERE u.email LIKE '%%@{BULK_EMAIL_DOMAIN}'
            )
            INSERT INTO licensing_license (public_id, plan_id, organization_id, status, starts_at, expires_at,
                upgrade_plan_until, key_hash, key_prefix, key_sealed, created_at, claimed_at)
            SELECT md5('bench-license-' || g)::uuid, %s, o.id,
                   CASE WHEN g %% 50 = 0 THEN 'suspended' ELSE 'active' END,
                   now() - g * interval '1 second', now() + interval '200 days',
                   (now() + interval '200 days')::date,
                   encode(sha256(('bench-key-' || g)::bytea), 'hex'),
                   'KLY-' || upper(substr(md5(g::text), 1, 4)), 'v1:bench',
                   now() - g * interval '1 second', now() - g * interval '1 second'
            FROM generate_series(%s, %s) AS g
            JOIN owners o ON o.n = (g - 1) / 10 %% %s
            """,
            [chosen.pk, have + 1, total, owners],
        )
        _execute(
            """
            INSERT INTO licensing_activation (public_id, license_id, fingerprint_hash, component_hashes,
                fingerprint_sealed, label, product_version, first_seen_at, last_seen_at, is_active)
            SELECT md5('bench-activation-' || l.id || '-' || m)::uuid, l.id,
                   encode(sha256(('bench-machine-' || l.id || '-' || m)::bytea), 'hex'), '[]'::jsonb,
                   'v1:bench', 'Server ' || m, '6.0.0', l.created_at, now(), true
            FROM licensing_license l CROSS JOIN generate_series(1, 2) AS m
            WHERE l.id >= %s AND l.key_sealed = 'v1:bench'
            """,
            [first_new],
        )
        _execute(
            """
            INSERT INTO licensing_licenseevent (license_id, activation_id, kind, actor, detail, created_at)
            SELECT l.id, NULL, 'issued', 'system', '{}'::jsonb, l.created_at
            FROM licensing_license l WHERE l.id >= %s AND l.key_sealed = 'v1:bench'
            UNION ALL
            SELECT a.license_id, a.id, 'activated', 'machine', '{}'::jsonb, a.first_seen_at
            FROM licensing_activation a WHERE a.license_id >= %s AND a.fingerprint_sealed = 'v1:bench'
            """,
            [first_new, first_new],
        )


def seed_inquiries(total: int) -> None:
    have = _scalar("SELECT count(*) FROM contact_inquiry WHERE email LIKE %s", [f"%@{BULK_EMAIL_DOMAIN}"])
    if have >= total:
        return
    _execute(
        f"""
        INSERT INTO contact_inquiry (reference, created_at, name, email, company, phone, topic,
            license_reference, message, status, spam_reason)
        SELECT upper(substr(md5('bench-inquiry-' || g), 1, 4) || '-'
                     || substr(md5('bench-inquiry-' || g), 5, 4)),
               now() - g * interval '1 minute', 'Customer ' || g, 'customer-' || g || '@{BULK_EMAIL_DOMAIN}',
               '', '', 'support', '', 'The stream stops at night.', 'new', ''
        FROM generate_series(%s, %s) AS g
        """,
        [have + 1, total],
    )


def probe(count: int) -> dict:
    """Licenses issued and activated through the real services: the load uses these."""
    from accounts.models import User
    from accounts.services import create_verified_user
    from legal.models import Acceptance
    from legal.services import record_signup_acceptances

    customer = User.objects.filter(email=PROBE_CUSTOMER).first() or create_verified_user(
        email=PROBE_CUSTOMER, password=PROBE_PASSWORD
    )
    if not Acceptance.objects.filter(user=customer).exists():
        # As at signup, so that license pages do not ask for the current Terms first.
        record_signup_acceptances(user=customer)
    data: dict = {"customer": PROBE_CUSTOMER, "password": PROBE_PASSWORD, "keys": [], "activated": []}
    if not licensing_available():
        return data
    from licensing import services
    from organizations.services import personal_organization

    chosen = plan()
    from licensing.models import License

    # Each run's own five on the customer's pages, so that every run measures the same pages.
    License.objects.filter(organization=personal_organization(user=customer)).update(organization=None)
    for n in range(count):
        held_by = personal_organization(user=customer) if n < OWNED_PROBES else None
        issued = services.issue_license(plan=chosen, organization=held_by, actor=services.Actor.system())
        key = issued.key
        if n == 0:
            data["license_id"] = str(issued.license.public_id)
        fingerprint = digest(f"bench-probe-{time.time_ns()}-{n}")
        services.activate_machine(key=key, fingerprint=fingerprint, label=f"Probe {n}")
        data["keys"].append(key)
        data["activated"].append((key, fingerprint))
    for m in range(MACHINES_ON_DETAIL - 1 if data["keys"] else 0):  # a detail page with several machines
        fingerprint = digest(f"bench-detail-{time.time_ns()}-{m}")
        services.activate_machine(key=data["keys"][0], fingerprint=fingerprint, label=f"Site {m}")
    grant_integrator(customer)
    return data


def grant_integrator(customer) -> None:
    """The probe customer owns an integrator organization that looks after bulk customers' licenses."""
    from django.utils import timezone

    from organizations.models import IntegratorGrant, Membership, Organization

    integrator, created = Organization.objects.get_or_create(name=INTEGRATOR_NAME, personal_for=None)
    if created:
        Membership.objects.create(organization=integrator, user=customer, role=Membership.Role.OWNER)
    if IntegratorGrant.objects.active().filter(integrator=integrator).exists():
        return
    now = timezone.now()
    customers = Organization.objects.filter(
        personal_for__email__in=[
            f"customer-{n}@{BULK_EMAIL_DOMAIN}" for n in range(1, INTEGRATOR_CUSTOMERS + 1)
        ]
    )
    IntegratorGrant.objects.bulk_create(
        IntegratorGrant(customer=held, integrator=integrator, email=customer.email, scope="manage",
                        expires_at=now, accepted_by=customer, accepted_at=now)
        for held in customers
    )  # fmt: skip
