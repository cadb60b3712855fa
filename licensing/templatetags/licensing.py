from django import template
from django.utils import timezone

from licensing import standing

register = template.Library()


@register.inclusion_tag("licensing/at_a_glance.html", takes_context=True)
def licenses_at_a_glance(context) -> dict:
    """The account home's answer to "is everything fine?" for the signed-in person's licenses."""
    attention, has_licenses = standing.at_a_glance(context["request"].user, timezone.now())
    return {"attention": attention, "has_licenses": has_licenses}
