"""The management command, the production checks, demo content and the personal-data section."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from kalytera import personal_data
from kalytera_client import identity
from licensing import checks, keys, services
from licensing.access import visible_licenses
from licensing.models import Activation, CheckInDaily, License, LicenseEvent, UsageDaily
from tests.licensing.conftest import digest


def test_issue_license_prints_only_the_key(plan, customer):
    out = StringIO()
    call_command("issue_license", "--owner", customer.email, "--plan", plan.code, "--seats", "4",
                 "--channels", "64", "--expires", "2031-05-01", stdout=out)  # fmt: skip
    key = out.getvalue().strip()
    assert keys.normalize(key) == key
    license = License.objects.get(key_hash=keys.lookup_hash(key))
    assert (license.organization.personal_for, license.max_machines, license.channels) == (customer, 4, 64)
    assert license.expires_at.date().isoformat() == "2031-05-01"


def test_issue_license_tells_the_owner_by_email_as_the_admin_does(plan, customer, deliver_outbox):
    call_command("issue_license", "--owner", customer.email, "--plan", plan.code, stdout=StringIO())
    license = License.objects.get()
    sent = deliver_outbox()
    assert sent[-1].to == [customer.email]
    assert license.reference in sent[-1].body


def test_issue_license_without_owner_makes_an_unassigned_key(plan):
    out = StringIO()
    call_command("issue_license", "--plan", plan.code, stdout=out)
    assert License.objects.get().organization is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--plan", "nope"], "PLAN_NOT_FOUND"),
        (["--plan", "{plan}", "--owner", "ghost@x.example"], "OWNER_NOT_FOUND"),
        (["--plan", "{plan}", "--seats", "0"], "INVALID_SEATS"),
        (["--plan", "{plan}", "--expires", "2001-01-01"], "INVALID_EXPIRY"),
        (["--plan", "{plan}", "--expires", "next week"], "INVALID_EXPIRY"),
    ],
)
def test_issue_license_fails_with_stable_codes(plan, args, code):
    args = [a.format(plan=plan.code) for a in args]
    with pytest.raises(CommandError, match=f"error {code}:"):
        call_command("issue_license", *args, stdout=StringIO())
    assert not License.objects.exists()


def test_production_refuses_development_or_missing_secrets(settings):
    settings.DEBUG = False
    settings.LICENSING_PEPPER = ""
    settings.LICENSING_ENCRYPTION_SECRET = "development-encryption-secret-not-secret"
    ids = {error.id for error in checks.check_licensing_secrets(None)}
    assert ids == {"licensing.E001", "licensing.E002"}
    settings.LICENSING_PEPPER = "Qx7-vN2pLk9sT4wZ8mR1cY6bH3jD5fG0aE"
    settings.LICENSING_ENCRYPTION_SECRET = "Wm4tP9kR2xN7vL1sQ8zC5bY3hJ6dF0gA"
    assert checks.check_licensing_secrets(None) == []


def test_development_runs_without_configured_secrets(settings):
    settings.DEBUG = True
    settings.LICENSING_PEPPER = ""
    assert checks.check_licensing_secrets(None) == []


def test_demo_content_gives_the_demo_customer_licenses_with_machines(db):
    from accounts import demo as accounts_demo
    from licensing import demo

    accounts_demo.seed(StringIO())
    lines = demo.seed(StringIO())
    customer = User.objects.get(email=accounts_demo.DEMO_CUSTOMER)
    licenses = visible_licenses(customer)
    assert licenses.count() == 4  # one of them offered to another company (a pending transfer)
    assert Activation.objects.filter(license__in=licenses, is_active=True).count() == 3
    company = License.objects.get(key_hash=keys.lookup_hash(lines[0].rsplit(" ", 1)[1])).organization
    assert company.name == demo.DEMO_COMPANY
    assert sorted(company.memberships.values_list("role", flat=True)) == ["manager", "owner", "viewer"]
    assert company.licenses.count() == 3  # and one in the customer's own account
    assert demo.seed(StringIO())[0] == lines[0]  # idempotent, and prints the same key again
    assert licenses.count() == 4
    # Machines as the reference client derives them, and a month of figures for the statistics.
    recorder = identity.derive("demo-recorder-1", {"board": "MB-recorder-1", "disk0": "SN-recorder-1"})
    assert Activation.objects.filter(
        fingerprint_hash=services.fingerprint_hash(recorder.fingerprint)
    ).exists()
    assert CheckInDaily.objects.values("day").distinct().count() == 31
    assert UsageDaily.objects.filter(metric="cameras").exists()


def test_licensing_data_is_registered_for_export_and_purge(owned_license, customer):
    license, key = owned_license
    services.activate_machine(key=key, fingerprint=digest("m"), label="Rack", product_version="6.2.0")
    services.suspend_license(license=license, actor=services.Actor.staff(customer))
    assert {License, Activation, LicenseEvent} <= personal_data.covered_models()
    section = next(s for s in personal_data.sections() if s.key == "licenses")
    rows = section.collect(customer)
    kinds = {row["kind"] for row in rows}
    assert kinds == {"license", "machine", "license event"}
    assert any(row.get("label") == "Rack" for row in rows)
    assert digest("m") not in repr(rows)
    assert key not in repr(rows)

    section.erase(customer)
    section.erase(customer)  # safe twice
    license.refresh_from_db()
    assert license.organization is None
    assert not LicenseEvent.objects.filter(actor_user=customer).exists()
    assert services.validate(key=key, fingerprint=digest("m")).code == "SUSPENDED"  # still a working record
    assert section.collect(customer) == []
