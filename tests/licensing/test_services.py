from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from licensing import certificates, services
from licensing.models import Activation, License, LicenseEvent, Plan
from licensing.services import Actor, LicensingError
from tests import personas
from tests.licensing.conftest import digest

BOARD, DISK, NIC, GPU = (digest(part) for part in ("board", "disk", "nic", "gpu"))


def activate(key, name="server", components=(), **kwargs):
    return services.activate_machine(key=key, fingerprint=digest(name), components=list(components), **kwargs)


def kinds(license):
    return list(license.events.order_by("created_at", "id").values_list("kind", flat=True))


def test_activation_takes_a_seat_and_signs_a_certificate_for_the_machine(owned_license):
    license, key = owned_license
    result = activate(key, label="Head office", product_version="6.2.0")
    assert result.outcome == "created"
    claims = certificates.verify(result.certificate.armored)
    assert claims["fingerprint"] == digest("server")
    assert claims["license_id"] == str(license.public_id)
    assert claims["channels"] == 32
    assert result.activation.label == "Head office"
    assert kinds(license)[-1] == LicenseEvent.Kind.ACTIVATED


def test_the_same_fingerprint_twice_gives_one_activation(owned_license):
    license, key = owned_license
    first = activate(key)
    second = activate(key, product_version="6.2.0")
    assert second.outcome == "existing"
    assert second.activation.pk == first.activation.pk
    assert license.activations.count() == 1
    assert Activation.objects.get().product_version == "6.2.0"


def test_second_activation_beyond_seats_is_refused(owned_license):
    license, key = owned_license
    activate(key, "a")
    activate(key, "b")
    with pytest.raises(LicensingError) as refused:
        activate(key, "c")
    assert refused.value.code == "TOO_MANY_MACHINES"
    assert refused.value.message == "All 2 seats of this license are taken; deactivate a machine first."
    assert license.activations.filter(is_active=True).count() == 2


def test_a_per_license_seat_override_replaces_the_plan_limit(issue, customer):
    _license, key = issue(customer, max_machines=1)
    activate(key, "a")
    with pytest.raises(LicensingError, match="The one seat of this license is taken"):
        activate(key, "b")


def test_changed_hardware_with_most_components_rebinds_the_activation(owned_license):
    license, key = owned_license
    first = activate(key, "old-board", [BOARD, DISK, NIC, GPU])
    rebound = activate(key, "new-board", [digest("new board"), DISK, NIC, GPU])
    assert rebound.outcome == "rebound"
    assert rebound.activation.pk == first.activation.pk
    assert license.activations.filter(is_active=True).count() == 1
    event = license.events.get(kind=LicenseEvent.Kind.HARDWARE_CHANGED)
    assert event.detail == {"matched": 3, "of": 4}
    # The new machine now validates; the old fingerprint no longer does.
    assert services.validate(key=key, fingerprint=digest("new-board")).code == "VALID"
    assert services.validate(key=key, fingerprint=digest("old-board")).code == "NOT_ACTIVATED"


@pytest.mark.parametrize(
    "offered",
    [
        [DISK],  # one shared part is no evidence
        [DISK, digest("x"), digest("y"), digest("z")],  # one of four
    ],
)
def test_too_few_matching_components_take_a_new_seat_instead(owned_license, offered):
    _license, key = owned_license
    activate(key, "old", [BOARD, DISK, NIC, GPU])
    assert activate(key, "new", offered).outcome == "created"


def test_two_of_four_components_are_enough(owned_license):
    _, key = owned_license
    activate(key, "old", [BOARD, DISK, NIC, GPU])
    assert activate(key, "new", [BOARD, DISK, digest("x"), digest("y")]).outcome == "rebound"


def test_hardware_changes_beyond_the_yearly_allowance_are_refused_and_recorded(owned_license):
    license, key = owned_license  # the plan allows two a year
    activate(key, "v1", [BOARD, DISK, NIC])
    activate(key, "v2", [BOARD, DISK, digest("nic2")])
    activate(key, "v3", [BOARD, DISK, digest("nic3")])
    with pytest.raises(LicensingError) as refused:
        activate(key, "v4", [BOARD, DISK, digest("nic4")])
    assert refused.value.code == "HARDWARE_CHANGE_LIMIT"
    assert "support" in refused.value.message
    assert kinds(license).count(LicenseEvent.Kind.HARDWARE_CHANGE_REFUSED) == 1
    # A year later the allowance is back.
    later = timezone.now() + timedelta(days=366)
    assert activate(key, "v4", [BOARD, DISK, digest("nic4")], now=later).outcome == "rebound"


def test_moves_within_the_allowance_free_the_seat_and_then_stop(owned_license):
    license, key = owned_license  # three moves a year
    for n in range(3):
        activate(key, f"m{n}")
        result = services.deactivate_machine(key=key, fingerprint=digest(f"m{n}"))
        assert certificates.verify(result.receipt.armored, expected_type=certificates.DEACTIVATION_RECEIPT)
    activate(key, "m3")
    with pytest.raises(LicensingError) as refused:
        services.deactivate_machine(key=key, fingerprint=digest("m3"))
    assert refused.value.code == "MOVE_LIMIT"
    assert license.activations.filter(is_active=True).count() == 1
    assert kinds(license).count(LicenseEvent.Kind.MOVE_REFUSED) == 1
    assert services.moves_left(license) == 0


def test_deactivating_an_unknown_machine_says_not_activated(owned_license):
    _, key = owned_license
    with pytest.raises(LicensingError) as refused:
        services.deactivate_machine(key=key, fingerprint=digest("never"))
    assert refused.value.code == "NOT_ACTIVATED"


def test_a_subscription_lapses_into_grace_and_then_expires(owned_license):
    license, key = owned_license
    activate(key)
    grace = license.expires_at + timedelta(days=1)
    result = services.validate(key=key, fingerprint=digest("server"), now=grace)
    assert (result.valid, result.code) == (True, "GRACE_PERIOD")
    assert result.certificate is not None
    over = license.expires_at + timedelta(days=license.plan.grace_days, seconds=1)
    result = services.validate(key=key, fingerprint=digest("server"), now=over)
    assert (result.valid, result.code, result.certificate) == (False, "EXPIRED", None)
    with pytest.raises(LicensingError) as refused:
        activate(key, "another", now=over)
    assert refused.value.code == "LICENSE_EXPIRED"


def test_a_perpetual_license_refuses_releases_after_its_upgrade_plan(make_plan, issue, customer):
    plan = make_plan(Plan.Kind.PERPETUAL, upgrade_plan_days=30)
    _license, key = issue(customer, plan_=plan, now=timezone.now() - timedelta(days=600))
    activate(key)
    far_future = timezone.now() + timedelta(days=3650)
    assert services.validate(key=key, fingerprint=digest("server"), now=far_future).code == "VALID"
    old = services.validate(key=key, fingerprint=digest("server"), product_version="6.0.0")
    assert old.code == "VALID"
    new = services.validate(key=key, fingerprint=digest("server"), product_version="6.2.0")
    assert (new.valid, new.code) == (False, "VERSION_NOT_COVERED")


@pytest.mark.parametrize(
    ("change", "validate_code", "activate_code"),
    [
        (services.suspend_license, "SUSPENDED", "LICENSE_SUSPENDED"),
        (services.revoke_license, "REVOKED", "LICENSE_REVOKED"),
    ],
)
def test_suspended_and_revoked_licenses_stop_working(owned_license, change, validate_code, activate_code):
    license, key = owned_license
    activate(key)
    change(license=license, actor=Actor.system())
    result = services.validate(key=key, fingerprint=digest("server"))
    assert (result.valid, result.code) == (False, validate_code)
    with pytest.raises(LicensingError) as refused:
        activate(key, "other")
    assert refused.value.code == activate_code


def test_reinstating_a_suspended_license_restores_it_and_revoking_is_final(owned_license):
    license, _key = owned_license
    services.suspend_license(license=license, actor=Actor.system())
    services.reinstate_license(license=license, actor=Actor.system())
    assert License.objects.get().status == License.Status.ACTIVE
    services.revoke_license(license=license, actor=Actor.system())
    with pytest.raises(LicensingError, match="cannot be"):
        services.reinstate_license(license=license, actor=Actor.system())
    assert kinds(license)[-3:] == ["suspended", "reinstated", "revoked"]


def test_renewing_runs_on_from_the_expiry_or_from_now_when_lapsed(owned_license):
    license, _ = owned_license
    expiry = license.expires_at
    renewed = services.renew_license(license=license, actor=Actor.system())
    assert renewed.expires_at == expiry + timedelta(days=365)
    late = renewed.expires_at + timedelta(days=100)
    again = services.renew_license(license=renewed, actor=Actor.system(), now=late)
    assert again.expires_at == late + timedelta(days=365)
    assert kinds(license).count(LicenseEvent.Kind.RENEWED) == 2


def test_renewing_a_perpetual_license_extends_its_upgrade_plan(make_plan, issue):
    license, _ = issue(plan_=make_plan(Plan.Kind.PERPETUAL, upgrade_plan_days=365))
    before = license.upgrade_plan_until
    renewed = services.renew_license(license=license, actor=Actor.system())
    assert renewed.upgrade_plan_until == before + timedelta(days=365)
    assert renewed.expires_at is None


def test_one_trial_per_machine_and_product(make_plan, issue, customer, other_customer):
    trial = make_plan(Plan.Kind.TRIAL, duration_days=30, max_machines=1)
    _, first_key = issue(customer, plan_=trial)
    _, second_key = issue(other_customer, plan_=trial)
    activate(first_key, "lab")
    assert activate(first_key, "lab").outcome == "existing"
    with pytest.raises(LicensingError) as refused:
        activate(second_key, "lab")
    assert refused.value.code == "TRIAL_ALREADY_USED"


def test_one_trial_per_account_and_product(make_plan, issue, customer):
    trial = make_plan(Plan.Kind.TRIAL, duration_days=30)
    issue(customer, plan_=trial)
    with pytest.raises(LicensingError) as refused:
        issue(customer, plan_=trial)
    assert refused.value.code == "TRIAL_ALREADY_USED"
    _, key = issue(None, plan_=trial)
    with pytest.raises(LicensingError) as refused:
        services.claim_license(user=customer, key=key)
    assert refused.value.code == "TRIAL_ALREADY_USED"


def test_claiming_records_the_owner_and_refuses_other_accounts_without_naming_them(issue, customer):
    license, key = issue(None)
    claimed = services.claim_license(user=customer, key=key.lower())
    assert claimed.organization.personal_for == customer
    other = personas.make_customer("otto@other.example")
    with pytest.raises(LicensingError) as refused:
        services.claim_license(user=other, key=key)
    assert refused.value.code == "LICENSE_TAKEN"
    assert customer.email not in refused.value.message
    with pytest.raises(LicensingError) as again:
        services.claim_license(user=customer, key=key)
    assert again.value.code == "ALREADY_CLAIMED"
    assert kinds(license) == ["issued", "claimed"]


def test_claiming_a_key_with_a_typo_fails_before_any_lookup(issue, customer, django_assert_num_queries):
    _, key = issue(None)
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    with django_assert_num_queries(0), pytest.raises(LicensingError) as refused:
        services.claim_license(user=customer, key=typo)
    assert refused.value.code == "INVALID_LICENSE_KEY"


def test_a_check_in_writes_the_last_seen_time_only_when_it_is_stale(owned_license, settings):
    settings.LICENSING_CHECKIN_WRITE_SECONDS = 900
    _, key = owned_license
    start = timezone.now()
    activate(key, now=start)
    services.validate(key=key, fingerprint=digest("server"), now=start + timedelta(minutes=5))
    assert Activation.objects.get().last_seen_at == start
    services.validate(key=key, fingerprint=digest("server"), now=start + timedelta(minutes=20))
    assert Activation.objects.get().last_seen_at == start + timedelta(minutes=20)


def test_repeated_refused_check_ins_are_recorded_once_an_hour(owned_license):
    license, key = owned_license
    for _ in range(5):
        services.validate(key=key, fingerprint=digest("stranger"))
    assert kinds(license).count(LicenseEvent.Kind.VALIDATION_FAILED) == 1


def test_usage_counts_join_daily_totals_once_a_day_without_a_link(owned_license):
    from licensing.models import UsageDaily

    _, key = owned_license
    activate(key)
    for cameras in (12, 50):
        services.validate(
            key=key, fingerprint=digest("server"), product_version="6.2.0", usage={"cameras": cameras}
        )
    row = UsageDaily.objects.get()
    assert (row.metric, row.reports, row.total, row.product_version) == ("cameras", 1, 12, "6.2.0")
    assert not any(
        f.is_relation and f.related_model in (License, Activation) for f in UsageDaily._meta.fields
    )


def test_events_are_append_only(owned_license):
    license, _ = owned_license
    event = license.events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        LicenseEvent.objects.all().update(kind="revoked")
    with pytest.raises(TypeError):
        LicenseEvent.objects.all().delete()


def test_the_database_holds_no_raw_key_fingerprint_or_component(owned_license, client):
    _license, key = owned_license
    activate(key, "secret-machine", [BOARD, DISK, NIC], label="Rack 4")
    services.validate(key=key, fingerprint=digest("secret-machine"), components=[BOARD])
    client.post(
        "/api/v1/activations",
        {"license_key": key, "fingerprint": digest("api-machine"), "components": [GPU, DISK]},
        content_type="application/json",
    )
    needles = {
        digest("secret-machine"),
        digest("api-machine"),
        BOARD,
        DISK,
        NIC,
        GPU,
        key,
        key.replace("-", ""),
    }
    needles |= {n.upper() for n in needles}
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall())
            found = [needle[:12] for needle in needles if needle in dump]
            assert not found, f"{table} holds raw values {found}"


def test_a_plan_term_is_its_runtime_and_a_perpetual_plan_has_none(make_plan):
    assert make_plan(duration_days=30).term == timedelta(days=30)
    with pytest.raises(ValueError, match="no runtime"):
        _ = make_plan(Plan.Kind.PERPETUAL).term


def test_a_machine_name_with_a_bidi_override_is_refused_by_the_service(owned_license):
    from licensing.models import Activation

    license, key = owned_license
    with pytest.raises(services.LicensingError) as refused:
        services.activate_machine(key=key, fingerprint=digest("m"), label="NVR\u202egnp.exe")
    assert refused.value.code == "INVALID_CHARACTERS"
    assert "U+202E" in refused.value.message
    assert not Activation.objects.filter(license=license).exists()


def test_uses_of_an_allowance_count_self_service_in_the_last_year_up_to_the_allowance(issue, customer):
    license, _ = issue(customer)
    now = timezone.now()
    Kind, By = LicenseEvent.Kind, LicenseEvent.Actor

    def event(kind, actor, days_ago):
        return LicenseEvent(
            license=license, kind=kind, actor=actor, created_at=now - timedelta(days=days_ago)
        )

    LicenseEvent.objects.bulk_create(
        [
            *(event(Kind.DEACTIVATED, By.CUSTOMER, n) for n in range(1, 4)),
            event(Kind.DEACTIVATED, By.MACHINE, 9),
            event(Kind.DEACTIVATED, By.STAFF, 1),  # support's moves are not counted
            event(Kind.DEACTIVATED, By.CUSTOMER, 366),
            event(Kind.HARDWARE_CHANGED, By.MACHINE, 2),
        ]
    )
    other, _ = issue(customer)
    LicenseEvent.objects.create(license=other, kind=Kind.DEACTIVATED, actor=By.CUSTOMER)
    for up_to, expected in [(None, 4), (2, 2), (4, 4), (10, 4), (1000, 4)]:
        assert services.events_in_last_year(license, Kind.DEACTIVATED, now, up_to=up_to) == expected, up_to
    assert services.events_in_last_year(license, Kind.HARDWARE_CHANGED, now, up_to=5) == 1
    assert services.events_in_last_year(license, Kind.DEACTIVATED, now + timedelta(days=363), up_to=5) == 1
    LicenseEvent.objects.bulk_create(event(Kind.DEACTIVATED, By.CUSTOMER, 5) for _ in range(120))
    for up_to, expected in [(None, 124), (50, 50), (100, 100), (1000, 124)]:
        assert services.events_in_last_year(license, Kind.DEACTIVATED, now, up_to=up_to) == expected, up_to
