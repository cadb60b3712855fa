"""Anonymous usage figures: daily counters with no link to a license, machine, account or address.

Validations add one to the day's check-in counter for their product and version; the opt-in
``usage`` counts a VMS reports add to the day's totals for their version and size bucket.
Counters are raised with a conditional UPDATE, and a missing row is inserted under the unique
constraint: concurrent check-ins never lose a count and never write a row per request.

Check-ins are the most frequent request of the platform. With Redis as the cache they are
first added up in a Redis hash (one round trip, no database write) and the
``flush_check_ins`` job adds the totals to the daily rows once a minute; the statistics
page adds what is still waiting. Other caches write each check-in to the database.
"""

from collections import defaultdict
from datetime import date

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from kalytera.cache import CacheUnavailable
from licensing.models import CheckInDaily, Product, UsageDaily

# Upper bounds of the size buckets a reported count falls in; beyond the last: "257+".
BUCKETS = (0, 8, 16, 32, 64, 128, 256)
UNKNOWN_VERSION = "unknown"
CHECK_IN_SHARDS = 8


def bucket(value: int) -> str:
    """The range a count falls in, coarse enough that no site is recognisable by its size."""
    lower = 0
    for upper in BUCKETS:
        if value <= upper:
            return str(upper) if lower == upper else f"{lower}-{upper}"
        lower = upper + 1
    return f"{lower}+"


PENDING_CHECK_INS = "licensing:check-ins:pending"
FLUSH_LOCK = "licensing:check-ins:flushing"
FLUSH_LOCK_SECONDS = 300


def count_check_in(*, day: date, product_id: int, version: str, machine: int) -> None:
    """One more check-in today; ``machine`` (any number stable per machine) only picks the shard."""
    version = version or UNKNOWN_VERSION
    add_to_tally = getattr(cache, "add_to_tally", None)
    if add_to_tally is not None:
        try:
            add_to_tally(PENDING_CHECK_INS, _tally_field(day, product_id, version))
            return
        except CacheUnavailable:
            pass  # counted in the database, as without Redis
    shard = machine % CHECK_IN_SHARDS
    _increment(
        CheckInDaily,
        {"day": day, "product_id": product_id, "product_version": version, "shard": shard},
        count=1,
    )


def flush_check_ins() -> int:
    """Add the check-ins gathered in the cache to the daily rows; returns how many were written.

    The counts are subtracted from the cache only after the rows are committed, so a failure
    on the way loses nothing: the next run writes them (a failure between commit and
    subtraction can count them twice). Check-ins that arrive meanwhile stay for the next run.
    """
    read_tally = getattr(cache, "read_tally", None)
    take_from_tally = getattr(cache, "take_from_tally", None)
    if read_tally is None or take_from_tally is None:
        return 0
    # One flush at a time (the lock outlives a crashed run by at most FLUSH_LOCK_SECONDS):
    # two would both write the counts that neither had subtracted yet.
    if not cache.add(FLUSH_LOCK, 1, timeout=FLUSH_LOCK_SECONDS):
        return 0
    try:
        pending = read_tally(PENDING_CHECK_INS)
        stored = _flush(pending)
        take_from_tally(PENDING_CHECK_INS, pending)
        return stored
    finally:
        cache.delete(FLUSH_LOCK)


def _flush(pending: dict[str, int]) -> int:
    products = set(Product.objects.values_list("pk", flat=True))
    stored = 0
    with transaction.atomic():
        for field, count in sorted(pending.items()):  # one order for every writer: no deadlock
            parsed = _parse_tally_field(field)
            if parsed is None or count <= 0 or parsed[1] not in products:
                continue  # unreadable, empty or of a deleted product: dropped with the others below
            day, product_id, version = parsed
            key = {"day": day, "product_id": product_id, "product_version": version, "shard": 0}
            _increment(CheckInDaily, key, count=count)
            stored += count
    return stored


def pending_check_ins() -> dict[date, int]:
    """Check-ins per day that are counted in the cache but not yet written to the database.

    Nothing while Redis is unavailable: the statistics then show what the database holds,
    at most the last minute short.
    """
    read_tally = getattr(cache, "read_tally", None)
    per_day: dict[date, int] = defaultdict(int)
    try:
        pending = read_tally(PENDING_CHECK_INS) if read_tally else {}
    except CacheUnavailable:
        pending = {}
    for field, count in pending.items():
        parsed = _parse_tally_field(field)
        if parsed is not None:
            per_day[parsed[0]] += count
    return dict(per_day)


def _tally_field(day: date, product_id: int, version: str) -> str:
    return f"{day.isoformat()} {product_id} {version}"


def _parse_tally_field(field: str) -> tuple[date, int, str] | None:
    try:
        day, product_id, version = field.split(" ", 2)
        return date.fromisoformat(day), int(product_id), version
    except ValueError:
        return None


def add_usage(*, day: date, product_id: int, version: str, usage: dict[str, int]) -> None:
    for metric, value in usage.items():
        _increment(
            UsageDaily,
            {
                "day": day,
                "product_id": product_id,
                "product_version": version or UNKNOWN_VERSION,
                "metric": metric,
                "bucket": bucket(value),
            },
            reports=1,
            total=value,
        )


def _increment(model: type[CheckInDaily] | type[UsageDaily], key: dict, **amounts: int) -> None:
    changes = {field: F(field) + amount for field, amount in amounts.items()}
    if model.objects.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **amounts)
    except IntegrityError:
        model.objects.filter(**key).update(**changes)  # a concurrent check-in made the row first
