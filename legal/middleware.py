"""The re-acceptance gate: license features wait until the current Terms are accepted."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from legal import services


class TermsAcceptanceMiddleware:
    """Send a signed-in person with a pending material Terms change to the accept page.

    Only paths under ``settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES`` are gated: everything
    else (the account, the policies themselves, logging out, support) stays open, so nobody
    is locked out of reading what they are asked to accept or of leaving.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._gated(request):
            policy = services.first_policy_to_accept(user=request.user)  # one query
            if policy is not None:
                accept_url = reverse("legal:accept", args=[policy.slug])
                return redirect(f"{accept_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _gated(request: HttpRequest) -> bool:
        prefixes = settings.LEGAL_ACCEPTANCE_REQUIRED_PREFIXES
        return request.path.startswith(tuple(prefixes)) and request.user.is_authenticated
