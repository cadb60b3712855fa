"""Policy versions for tests, made as publishing leaves them."""

from datetime import datetime

from django.utils import timezone

from legal.models import Policy, PolicyVersion


def release(
    policy: Policy,
    *,
    number: int,
    effective_at: datetime,
    body: str = "Body.",
    material: bool = True,
    summary: str = "Changes.",
    title: str | None = None,
) -> PolicyVersion:
    """A released version, as the publishing service or the loader leaves it."""
    now = timezone.now()
    return PolicyVersion.objects.create(
        policy=policy,
        number=number,
        title=title or policy.name,
        body=body,
        summary=summary,
        material=material,
        effective_at=effective_at,
        published_at=min(now, effective_at),
        status=PolicyVersion.Status.PUBLISHED if effective_at <= now else PolicyVersion.Status.SCHEDULED,
    )
