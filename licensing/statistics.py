"""Figures for the staff statistics page: counts only, from aggregates and licensing records.

Nothing here names a license, account or machine; every figure is a sum over many.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from licensing import usage
from licensing.charts import Series, bar_chart
from licensing.models import Activation, CheckInDaily, License, Plan, UsageDaily

DAYS = 30
MONTHS_AHEAD = 12


@dataclass
class Figure:
    """One chart and the table of the same numbers."""

    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    columns: list[str] = field(default_factory=list)

    @property
    def chart(self):
        return bar_chart(title=self.title, labels=self.labels, series=self.series, unit=self.unit)

    @property
    def rows(self) -> list[list]:
        return [[label, *(s.values[i] for s in self.series)] for i, label in enumerate(self.labels)]

    @property
    def headings(self) -> list[str]:
        return self.columns or ["", *(s.name for s in self.series)]


def figures(today: date) -> list[Figure]:
    return [
        activity(today),
        versions_in_use(),
        expiring_per_month(today),
        seat_use_per_plan(),
        reported_usage(today),
    ]


def activity(today: date) -> Figure:
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
    activations = dict(
        Activation.objects.filter(first_seen_at__gte=since)
        .annotate(day=TruncDate("first_seen_at"))
        .values_list("day")
        .annotate(n=Count("id"))
    )
    check_ins = dict(
        CheckInDaily.objects.filter(day__gte=days[0]).values_list("day").annotate(n=Sum("count"))
    )
    for day, count in usage.pending_check_ins().items():  # not yet written by flush_check_ins
        check_ins[day] = check_ins.get(day, 0) + count
    return Figure(
        f"Activations and check-ins, last {DAYS} days",
        [f"{day:%m-%d}" for day in days],
        [
            Series("Activations", [activations.get(day, 0) for day in days]),
            Series("Check-ins", [check_ins.get(day, 0) for day in days]),
        ],
        columns=["Day", "Activations", "Check-ins"],
    )


def versions_in_use() -> Figure:
    rows = (
        Activation.objects.filter(is_active=True)
        .values_list("license__plan__product__name", "product_version")
        .annotate(n=Count("id"))
        .order_by("license__plan__product__name", "product_version")
    )
    return Figure(
        "Product versions on active machines",
        [f"{product} {version or 'unknown'}" for product, version, _ in rows],
        [Series("Machines", [n for *_, n in rows])],
        unit="machines",
        columns=["Version", "Active machines"],
    )


def expiring_per_month(today: date) -> Figure:
    first = today.replace(day=1)
    months = [_add_months(first, n) for n in range(MONTHS_AHEAD)]
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(_add_months(first, MONTHS_AHEAD), datetime.min.time(), tzinfo=UTC)
    counts = {
        month.date(): n
        for month, n in License.objects.filter(
            status=License.Status.ACTIVE, expires_at__gte=start, expires_at__lt=end
        )
        .annotate(month=TruncMonth("expires_at"))
        .values_list("month")
        .annotate(n=Count("id"))
    }
    return Figure(
        "Licenses expiring per month",
        [f"{month:%Y-%m}" for month in months],
        [Series("Licenses", [counts.get(month, 0) for month in months])],
        unit="licenses",
        columns=["Month", "Licenses expiring"],
    )


def seat_use_per_plan() -> Figure:
    plans = list(
        Plan.objects.order_by("product__name", "name").annotate(
            seats=Coalesce(
                Sum(
                    Coalesce("licenses__max_machines_override", "max_machines"),
                    filter=Q(licenses__status=License.Status.ACTIVE),
                ),
                0,
            )
        )
    )
    used = dict(
        Activation.objects.filter(is_active=True, license__status=License.Status.ACTIVE)
        .values_list("license__plan")
        .annotate(n=Count("id"))
    )
    plans = [plan for plan in plans if plan.seats]
    return Figure(
        "Seat use per plan",
        [plan.code for plan in plans],
        [
            Series("Seats in use", [used.get(plan.pk, 0) for plan in plans]),
            Series("Seats", [p.seats for p in plans]),
        ],
        unit="seats",
        columns=["Plan", "Seats in use", "Seats sold"],
    )


def reported_usage(today: date) -> Figure:
    counted = (
        UsageDaily.objects.filter(day__gte=today - timedelta(days=DAYS - 1))
        .values_list("metric", "bucket")
        .annotate(n=Sum("reports"))
        .order_by("metric", "bucket")
    )
    rows = sorted(counted, key=lambda row: (row[0], _bucket_order(row[1])))
    return Figure(
        f"Reported usage by size, last {DAYS} days",
        [f"{metric} {bucket}" for metric, bucket, _ in rows],
        [Series("Reports", [n for *_, n in rows])],
        unit="reports",
        columns=["Count reported", "Reports"],
    )


def _bucket_order(bucket: str) -> int:
    digits = bucket.split("-")[0].rstrip("+")
    return int(digits) if digits.isdigit() else -1


def _add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + years, month=month + 1)
