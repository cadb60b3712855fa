"""Anonymous usage figures: daily counters with no link to a license, machine, account or address.

Validations add one to the day's check-in counter for their product and version; the opt-in
``usage`` counts a VMS reports add to the day's totals for their version and size bucket.
Counters are raised with a conditional UPDATE, and a missing row is inserted under the unique
constraint: concurrent check-ins never lose a count and never write a row per request.
"""

from datetime import date

from django.db import IntegrityError, models, transaction
from django.db.models import F

from licensing.models import CheckInDaily, UsageDaily

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


def count_check_in(*, day: date, product_id: int, version: str, machine: int) -> None:
    """One more check-in today; ``machine`` (any number stable per machine) only picks the shard."""
    key = {
        "day": day,
        "product_id": product_id,
        "product_version": version or UNKNOWN_VERSION,
        "shard": machine % CHECK_IN_SHARDS,
    }
    _increment(CheckInDaily, key, count=1)


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


def _increment(model: type[models.Model], key: dict, **amounts: int) -> None:
    changes = {field: F(field) + amount for field, amount in amounts.items()}
    if model.objects.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **amounts)
    except IntegrityError:
        model.objects.filter(**key).update(**changes)  # a concurrent check-in made the row first
