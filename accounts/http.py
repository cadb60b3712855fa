"""The request that views behind a sign-in receive."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has signed in (``login_required``, the admin), for type checking.

    Annotating a view's request with it tells the type checker that ``request.user`` is a
    ``User``, never ``AnonymousUser``; the decorator is what makes that true.
    """

    user: User
