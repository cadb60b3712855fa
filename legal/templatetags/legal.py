from django import template

from legal import services

register = template.Library()


@register.inclusion_tag("legal/notices.html", takes_context=True)
def legal_notices(context) -> dict:
    """Banners for material policy changes the signed-in person has not dismissed yet."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices": []}
    return {"notices": services.notices_to_show(user=user), "request": request}
