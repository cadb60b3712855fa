from django import template

from accounts import user_agents

register = template.Library()


@register.filter
def browser(user_agent: str) -> str:
    """A user-agent string as a person reads it: "Firefox on Windows"."""
    return user_agents.describe(user_agent or "")
