from django.conf import settings


def site(request) -> dict:
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "admin_url": f"/{settings.ADMIN_URL}",
    }
