from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kalytera import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    # Browsers ask for /favicon.ico on pages that name no icon (the staff admin's).
    path("favicon.ico", views.favicon),
    path("accounts/", include("allauth.urls")),
    path("account/privacy/", include("accounts.privacy.urls")),
    path("account/", include("accounts.urls")),
    path("legal/", include("legal.urls")),
    path("contact/", include("contact.urls")),
    path("", include("advisories.urls")),
    path("community/", include("community.urls")),
    path("organizations/", include("organizations.urls")),
    path("", include("licensing.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

if settings.BENCHMARK_ENDPOINTS:  # the benchmark's reference endpoints, never in a deployment
    urlpatterns.append(path("_benchmark/", include("kalytera.benchmark")))

handler400 = "kalytera.views.bad_request"
handler403 = "kalytera.views.permission_denied"
handler404 = "kalytera.views.page_not_found"
handler500 = "kalytera.views.server_error"
handler429 = "kalytera.views.too_many_requests"
