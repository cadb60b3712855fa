from datetime import datetime

from django import template
from django.utils import timezone

from licensing import standing

register = template.Library()


@register.inclusion_tag("licensing/at_a_glance.html", takes_context=True)
def licenses_at_a_glance(context) -> dict:
    """The account home's answer to "is everything fine?" for the signed-in person's licenses."""
    return {"glance": standing.at_a_glance(context["request"].user, timezone.now())}


# ``|date`` looks up localised formats on every call, which costs more than the rest of a
# line; a page that prints dozens of dates uses these, which write the same text.
def _local(value):
    """A moment in the current time zone, as templates show it; dates stay as they are."""
    return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


@register.filter
def day(value) -> str:
    """``|date:"Y-m-d"``: a date, or a moment in the current time zone; empty for none."""
    return f"{_local(value):%Y-%m-%d}" if value else ""


@register.filter
def minute(value) -> str:
    """``|date:"Y-m-d H:i"``."""
    return f"{_local(value):%Y-%m-%d %H:%M}" if value else ""


@register.filter
def iso(value) -> str:
    """``|date:"c"`` (ISO 8601, for ``<time datetime>``)."""
    return _local(value).isoformat() if value else ""
