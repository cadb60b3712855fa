from django import template
from django.utils import timezone

from licensing import standing
from licensing.access import visible_licenses

register = template.Library()


@register.inclusion_tag("licensing/at_a_glance.html", takes_context=True)
def licenses_at_a_glance(context) -> dict:
    """The account home's answer to "is everything fine?" for the signed-in person's licenses."""
    user = context["request"].user
    return {
        "attention": standing.needing_attention(user, timezone.now()),
        "has_licenses": visible_licenses(user).exists(),
    }


@register.filter
def advisories_of(advisories: dict, activation) -> list:
    """The advisories affecting ``activation``, from the view's ``{machine pk: [advisory, ...]}``."""
    return advisories.get(activation.pk, [])
