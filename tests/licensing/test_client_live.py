"""The reference VMS client against the running platform, and its verifier against the server's verdict.

A VMS judges its certificate offline with the same dates the platform uses; at every stage
boundary, with the clock held still, the verifier's code must equal what the platform answers.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from kalytera_client import api, identity, verify
from licensing import services
from licensing.models import Plan, Release
from licensing.services import Actor
from tests.licensing.conftest import held_by

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
SERVER = identity.derive("recorder-7", {"board": "B-7", "disk": "D-7", "nic": "N-7"})


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.LICENSING_API_RATE_PER_ADDRESS = "10000/m"
    settings.LICENSING_API_RATE_PER_LICENSE = "10000/m"


@pytest.fixture
def client(live_server):
    return api.LicensingClient(live_server.url)


def issue_at(plan, owner):
    with time_machine.travel(START, tick=False):
        issued = services.issue_license(plan=plan, organization=held_by(owner), actor=Actor.system())
    return issued.license, issued.key


def test_the_reference_client_activates_checks_in_and_deactivates(client, plan, customer):
    license, key = issue_at(plan, customer)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        first = client.activate(license_key=key, identity=SERVER, name="Recorder 7", product_version="6.2.0")
        again = client.activate(license_key=key, identity=SERVER)
        checked = client.validate(
            license_key=key, identity=SERVER, product_version="6.2.0", usage={"cameras": 9}
        )
        receipt = client.deactivate(license_key=key, identity=SERVER)
        after = client.validate(license_key=key, identity=SERVER)
    assert (first.created, again.created) == (True, False)
    assert first.certificate.claims["license_id"] == str(license.public_id)
    assert first.activation["id"] == again.activation["id"]
    assert (checked.valid, checked.code) == (True, "VALID")
    assert checked.certificate.claims["fingerprint"] == SERVER.fingerprint
    assert receipt.receipt.claims["fingerprint"] == SERVER.fingerprint
    assert (after.valid, after.code) == (False, "NOT_ACTIVATED")
    assert client.latest_server_time is not None


def judge_at(client, key, moment, **evaluate):
    """The server's code at ``moment`` and the verifier's, judging the certificate of an hour before."""
    with time_machine.travel(moment - timedelta(hours=1), tick=False):
        certificate = client.validate(license_key=key, identity=SERVER).certificate
    with time_machine.travel(moment, tick=False):
        server = client.validate(
            license_key=key, identity=SERVER, product_version=evaluate.pop("version", None)
        )
    local = verify.evaluate(certificate.claims, now=moment, fingerprint=SERVER.fingerprint, **evaluate)
    return server.code, local.code


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (-SECOND, "VALID"),
        (timedelta(0), "GRACE_PERIOD"),
        (timedelta(days=14) - SECOND, "GRACE_PERIOD"),
        (timedelta(days=14), "EXPIRED"),
    ],
)
def test_the_verifier_and_the_server_agree_at_every_expiry_stage(client, make_plan, customer, offset, code):
    plan = make_plan(duration_days=90, grace_days=14, offline_validity_days=200)
    license, key = issue_at(plan, customer)
    with time_machine.travel(START, tick=False):
        client.activate(license_key=key, identity=SERVER)
    assert judge_at(client, key, license.expires_at + offset) == (code, code)


@pytest.mark.parametrize(
    ("released", "code"), [(date(2027, 12, 31), "VALID"), (date(2028, 1, 1), "VERSION_NOT_COVERED")]
)
def test_the_verifier_and_the_server_agree_on_releases_after_the_upgrade_plan(
    client, make_plan, customer, product, released, code
):
    plan = make_plan(Plan.Kind.PERPETUAL, offline_validity_days=400)
    license, key = issue_at(plan, customer)
    license.upgrade_plan_until = date(2027, 12, 31)
    license.save(update_fields=["upgrade_plan_until"])
    Release.objects.create(product=product, version="7.0.0", released_on=released)
    with time_machine.travel(START, tick=False):
        client.activate(license_key=key, identity=SERVER)
    moment = datetime(2028, 2, 1, tzinfo=UTC)
    assert judge_at(client, key, moment, version="7.0.0", release_date=released) == (code, code)


def test_a_certificate_forces_a_check_in_within_the_offline_validity(client, make_plan, customer):
    plan = make_plan(offline_validity_days=30)
    _, key = issue_at(plan, customer)
    with time_machine.travel(START, tick=False):
        claims = client.activate(license_key=key, identity=SERVER).certificate.claims
    check_in_by = verify.parse_timestamp(claims["valid_until"])
    assert check_in_by == verify.parse_timestamp(claims["issued_at"]) + timedelta(days=30)
    assert verify.evaluate(claims, now=check_in_by - SECOND).code == "VALID"
    assert verify.evaluate(claims, now=check_in_by).code == "CHECK_IN_REQUIRED"
    with time_machine.travel(check_in_by + timedelta(days=1), tick=False):
        fresh = client.validate(license_key=key, identity=SERVER)
    assert fresh.code == "VALID"  # the platform renews the certificate at the next check-in
    assert verify.evaluate(fresh.certificate.claims, now=check_in_by + timedelta(days=2)).code == "VALID"


def test_a_refused_version_learns_the_newest_release_it_may_install(client, make_plan, customer, product):
    plan = make_plan(Plan.Kind.PERPETUAL, offline_validity_days=400)
    license, key = issue_at(plan, customer)
    license.upgrade_plan_until = date(2027, 12, 31)
    license.save(update_fields=["upgrade_plan_until"])
    for version, released in (
        ("6.10.0", date(2027, 6, 1)),
        ("6.9.4", date(2027, 12, 31)),
        ("7.0.0", date(2028, 1, 1)),
    ):
        Release.objects.create(product=product, version=version, released_on=released, state="published")
    with time_machine.travel(START, tick=False):
        client.activate(license_key=key, identity=SERVER)
        checked = client.validate(license_key=key, identity=SERVER, product_version="7.0.0")
    assert checked.code == "VERSION_NOT_COVERED"
    newest = checked.answer["newest_release"]
    assert (newest["version"], newest["released_on"]) == ("6.10.0", "2027-06-01")
    assert newest["notes_url"].endswith("/releases/kalytera-vms/6.10.0/")
