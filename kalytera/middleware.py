from django.conf import settings
from django.utils.cache import patch_cache_control

from kalytera.cache import CacheUnavailable
from kalytera.views import cache_unavailable, healthz


class SecurityHeadersMiddleware:
    """Headers Django has no setting for, on every response (static files included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in person or to a sign-in
    in progress (a pending code, a verification, a cancelled deletion: state in the session).

    Those answers show personal data; no shared cache may keep them, nor the browser's history
    on a shared computer. Pages for anonymous visitors without a session stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated or not request.session.is_empty():
            patch_cache_control(response, private=True, no_store=True)
        return response


class HealthCheckMiddleware:
    """Answer ``/healthz`` before the host name is checked.

    Container runtimes and load balancers probe the server by address
    (``http://127.0.0.1:8000/healthz``), a host that ALLOWED_HOSTS rightly leaves out.
    Placed before ``CommonMiddleware``, the first middleware that validates the host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


class CacheUnavailableMiddleware:
    """A view that needs Redis while it is unavailable answers 503, not 500.

    Whatever can do without Redis does (see "When a dependency fails" in the README); what
    reaches this point cannot, the login above all. JSON under ``/api/``, a page elsewhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CacheUnavailable):
            return cache_unavailable(request)
        return None
