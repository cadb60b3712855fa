"""Anonymous usage figures and the staff statistics page."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from licensing import charts, keys, services, statistics, usage
from licensing.models import CheckInDaily, UsageDaily
from tests.licensing.conftest import digest

STATISTICS = reverse("admin:licensing_license_statistics")


@pytest.fixture
def machine(owned_license):
    license, key = owned_license
    services.activate_machine(key=key, fingerprint=digest("server"), product_version="6.2.0")
    return license, key


def check_in(key, **kwargs):
    return services.validate(key=key, fingerprint=digest("server"), product_version="6.2.0", **kwargs)


@pytest.mark.parametrize(
    ("value", "bucket"), [(0, "0"), (1, "1-8"), (8, "1-8"), (9, "9-16"), (200, "129-256"), (257, "257+")]
)
def test_counts_fall_in_coarse_buckets(value, bucket):
    assert usage.bucket(value) == bucket


def test_every_check_in_raises_the_days_counter_without_a_row_per_request(machine):
    _, key = machine
    for _ in range(3):
        check_in(key)
    row = CheckInDaily.objects.get()
    assert (row.count, row.product_version, row.day) == (3, "6.2.0", timezone.now().date())


def test_check_ins_of_many_machines_spread_over_shards_and_add_up(owned_license, make_plan, issue, customer):
    _, key = issue(customer, plan_=make_plan(max_machines=20))
    for n in range(20):
        services.activate_machine(key=key, fingerprint=digest(f"m{n}"))
        services.validate(key=key, fingerprint=digest(f"m{n}"), product_version="6.2.0")
    assert CheckInDaily.objects.count() == usage.CHECK_IN_SHARDS
    assert sum(CheckInDaily.objects.values_list("count", flat=True)) == 20


def test_with_redis_check_ins_are_gathered_and_written_once_a_minute(machine, redis_as_default_cache):
    _, key = machine
    for _ in range(3):
        check_in(key)
    assert not CheckInDaily.objects.exists()  # no database write per check-in
    assert usage.pending_check_ins() == {timezone.now().date(): 3}
    assert usage.flush_check_ins() == 3
    row = CheckInDaily.objects.get()
    assert (row.count, row.product_version, row.day) == (3, "6.2.0", timezone.now().date())
    assert usage.pending_check_ins() == {}
    check_in(key)
    assert usage.flush_check_ins() == 1 and usage.flush_check_ins() == 0
    assert CheckInDaily.objects.get().count == 4


def test_the_statistics_count_check_ins_not_yet_written(machine, redis_as_default_cache):
    _, key = machine
    check_in(key)
    check_in(key)
    figure = statistics.activity(timezone.now().date())
    assert figure.series[1].values[-1] == 2


def test_a_failed_flush_keeps_the_counts_for_the_next_run(machine, redis_as_default_cache, monkeypatch):
    _, key = machine
    check_in(key)

    def broken(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(usage, "_increment", broken)
    with pytest.raises(DatabaseError):
        usage.flush_check_ins()
    monkeypatch.undo()
    assert usage.pending_check_ins() == {timezone.now().date(): 1}
    assert usage.flush_check_ins() == 1  # and the lock of the failed run was released
    assert CheckInDaily.objects.get().count == 1


def test_only_one_flush_runs_at_a_time(machine, redis_as_default_cache):
    _, key = machine
    check_in(key)
    redis_as_default_cache.add(usage.FLUSH_LOCK, 1)  # another run holds the lock
    assert usage.flush_check_ins() == 0
    redis_as_default_cache.delete(usage.FLUSH_LOCK)
    assert usage.flush_check_ins() == 1


def test_counts_of_a_deleted_product_or_an_unreadable_entry_are_dropped(machine, redis_as_default_cache):
    _, key = machine
    check_in(key)
    redis_as_default_cache.add_to_tally(usage.PENDING_CHECK_INS, "2026-11-23 999999 6.2.0", 4)
    redis_as_default_cache.add_to_tally(usage.PENDING_CHECK_INS, "garbage", 2)
    assert usage.flush_check_ins() == 1
    assert CheckInDaily.objects.get().count == 1
    assert redis_as_default_cache.read_tally(usage.PENDING_CHECK_INS) == {}


def test_the_flush_command_says_what_it_wrote(machine, redis_as_default_cache):
    _, key = machine
    check_in(key)
    out = StringIO()
    call_command("flush_check_ins", stdout=out)
    assert out.getvalue().strip() == "1 check-in(s) written to the daily counts."


def test_without_redis_the_flush_has_nothing_to_do(machine):
    _, key = machine
    check_in(key)
    assert usage.flush_check_ins() == 0
    assert CheckInDaily.objects.get().count == 1


def test_reported_usage_is_summed_by_version_and_bucket_once_a_day_per_machine(machine):
    _, key = machine
    check_in(key, usage={"cameras": 12, "users": 3})
    check_in(key, usage={"cameras": 50})  # the same machine again today: not counted twice
    rows = {(r.metric, r.bucket): (r.reports, r.total) for r in UsageDaily.objects.all()}
    assert rows == {("cameras", "9-16"): (1, 12), ("users", "1-8"): (1, 3)}
    services.validate(
        key=key,
        fingerprint=digest("server"),
        product_version="6.2.0",
        usage={"cameras": 14},
        now=timezone.now() + timedelta(days=1),
    )
    assert UsageDaily.objects.filter(bucket="9-16").count() == 2


@pytest.mark.parametrize("table", [UsageDaily, CheckInDaily])
def test_aggregate_rows_hold_no_identifier(machine, customer, table):
    license, key = machine
    check_in(key, usage={"cameras": 12})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table._meta.db_table}")
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    assert rows
    assert not any(col.endswith(("license_id", "activation_id", "user_id", "owner_id")) for col in columns)
    forbidden = {
        str(license.pk),
        str(license.public_id),
        key,
        keys.normalize(key),
        license.key_hash,
        digest("server"),
        services.fingerprint_hash(digest("server")),
        customer.email,
        str(customer.pk),
        "127.0.0.1",
    }
    cells = {str(cell) for row in rows for cell in row}
    # the product id and small counts are allowed; nothing else may match an identifier
    assert not (cells - {str(license.plan.product_id), "1", "12"}) & forbidden


def test_the_statistics_page_shows_charts_and_tables_to_licensing_staff(
    machine, licensing_user, staff_client_for
):
    _, key = machine
    check_in(key, usage={"cameras": 12})
    html = staff_client_for(licensing_user).get(STATISTICS).content.decode()
    for title in (
        "Activations and check-ins",
        "Product versions on active machines",
        "Licenses expiring per month",
        "Seat use per plan",
        "Reported usage by size",
    ):
        assert title in html
    assert html.count('<svg class="chart" role="img"') == 5
    assert html.count("<desc id=") == 5
    assert "<table>" in html and "Kalytera VMS 6.2.0" in html
    assert "<script" not in html.split("<svg", 1)[1]
    assert key not in html and "@" not in html.split("<svg", 1)[1]


@pytest.mark.parametrize("persona", ["support_user", "legal_user", "customer"])
def test_other_people_cannot_open_the_statistics(persona, request, staff_client_for, client, db):
    user = request.getfixturevalue(persona)
    if persona == "customer":
        client.force_login(user)
        assert client.get(STATISTICS).status_code == 404  # the staff admin does not exist for customers
    else:
        assert staff_client_for(user).get(STATISTICS).status_code == 403


def test_the_statistics_page_answers_get_only(licensing_user, staff_client_for):
    assert staff_client_for(licensing_user).post(STATISTICS).status_code == 405


def test_anonymous_visitors_are_sent_to_the_admin_login(client, db):
    response = client.get(STATISTICS)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_chart_escapes_its_labels_and_states_its_figures():
    svg = charts.bar_chart(
        title="Versions <b>", labels=["6.2 <x>"], series=[charts.Series("Machines", [4])], unit="machines"
    )
    assert "<b>" not in svg and "&lt;x&gt;" in svg
    assert "6.2 &lt;x&gt;: machines 4 (machines)." in svg
    assert charts.describe([], []) == "No data yet."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_on_a_new_day_lose_no_count(machine):
    _, key = machine
    racers = 8
    start = threading.Barrier(racers)

    def run(_) -> None:
        start.wait()
        try:
            check_in(key)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        list(pool.map(run, range(racers)))
    assert sum(CheckInDaily.objects.values_list("count", flat=True)) == racers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_check_ins_racing_flushes_are_each_counted_once(machine, redis_as_default_cache):
    _, key = machine
    racers, rounds = 6, 10
    start = threading.Barrier(racers + 1)

    def check_ins(_) -> None:
        start.wait()
        try:
            for _ in range(rounds):
                check_in(key)
        finally:
            connection.close()

    def flushes() -> None:
        start.wait()
        try:
            for _ in range(rounds):
                usage.flush_check_ins()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers + 1) as pool:
        done = [pool.submit(check_ins, n) for n in range(racers)] + [pool.submit(flushes)]
        for future in done:
            future.result()
    usage.flush_check_ins()
    assert sum(CheckInDaily.objects.values_list("count", flat=True)) == racers * rounds
