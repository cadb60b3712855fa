from django import template
from django.utils import timezone

from licensing import standing

register = template.Library()


@register.inclusion_tag("licensing/at_a_glance.html", takes_context=True)
def licenses_at_a_glance(context) -> dict:
    """The account home's answer to "is everything fine?" for the signed-in person's licenses."""
    return {"glance": standing.at_a_glance(context["request"].user, timezone.now())}


@register.filter
def advisories_of(advisories: dict, activation) -> list:
    """The advisories affecting ``activation``, from the view's ``{machine pk: [advisory, ...]}``."""
    return advisories.get(activation.pk, [])
