"""Small server-side SVG charts: readable without JavaScript, no library, no request elsewhere.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states the
figures in words, so a screen reader gets what the bars show; the pages put the same numbers
in a table next to it. Colours are SVG presentation attributes (allowed by the strict CSP,
which forbids ``style``).
"""

from dataclasses import dataclass
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
BAR_AREA = 200
LABEL_SPACE = 56
TOP = 30  # room for the scale and the legend above the bars
CHAR_WIDTH = 6.5  # rough width of one character at font-size 11, to decide whether labels fit
COLOURS = ("#2563eb", "#9ca3af")  # first series: blue; second series (e.g. capacity): grey

_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def bar_chart(*, title: str, labels: list[str], series: list[Series], unit: str = "") -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series."""
    chart_id = f"chart-{next(_ids)}"
    peak = max((value for s in series for value in s.values), default=0) or 1
    groups = max(len(labels), 1)
    group_width = (WIDTH - 40) / groups
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1)
    # Labels stand level under their bars when they fit, else slant so that long ones stay readable.
    rotate = max((len(label) for label in labels), default=0) * CHAR_WIDTH > group_width
    bars = []
    for index, label in enumerate(labels):
        left = 20 + index * group_width + group_width * 0.1
        for n, one in enumerate(series):
            value = one.values[index]
            height = BAR_AREA * value / peak
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}{}</title></rect>',
                    _n(left + n * bar_width),
                    _n(TOP + BAR_AREA - height),
                    _n(bar_width * 0.95),
                    _n(height),
                    COLOURS[n % len(COLOURS)],
                    label,
                    one.name.lower(),
                    value,
                    f" {unit}" if unit else "",
                )
            )
        if groups <= 16 or index % max(groups // 12, 1) == 0:
            bars.append(_label(label, left + group_width * 0.4, group_width, rotate=rotate))
    axis = format_html(
        '<line x1="20" y1="{}" x2="{}" y2="{}" stroke="#374151"/>'
        '<text x="20" y="{}" font-size="11">{}</text>',
        TOP + BAR_AREA,
        WIDTH - 20,
        TOP + BAR_AREA,
        TOP - 4,
        f"max {peak} {unit}".rstrip(),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="2" width="10" height="10" fill="{}"/><text x="{}" y="11" font-size="11">{}</text>',
        (
            (x, COLOURS[n % len(COLOURS)], x + 14, s.name)
            for n, s in enumerate(series)
            for x in [WIDTH - 20 - (len(series) - n) * 130]
        )
        if len(series) > 1
        else (),
    )
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" '
        'width="100%" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>{5}{6}{7}</svg>',
        chart_id,
        WIDTH,
        TOP + BAR_AREA + LABEL_SPACE,
        title,
        describe(labels, series, unit),
        axis,
        format_html_join("", "{}", ((bar,) for bar in bars)),
        legend,
    )


def _label(text: str, x: float, room: float, *, rotate: bool) -> SafeString:
    y = TOP + BAR_AREA + 14
    if rotate:
        return format_html(
            '<text x="{}" y="{}" font-size="11" text-anchor="end" transform="rotate(-40 {} {})">{}</text>',
            _n(x),
            y,
            _n(x),
            y,
            text,
        )
    return format_html('<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>', _n(x), y, text)


def _n(value: float) -> str:
    return f"{value:.1f}"


def describe(labels: list[str], series: list[Series], unit: str = "") -> str:
    """The figures in words, for the chart's ``<desc>``."""
    if not labels:
        return "No data yet."
    parts = []
    for index, label in enumerate(labels):
        values = ", ".join(f"{s.name.lower()} {s.values[index]}" for s in series)
        parts.append(f"{label}: {values}")
    return "; ".join(parts) + (f" ({unit})" if unit else "") + "."
