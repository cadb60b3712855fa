"""allauth's authentication backend, with the signed-in user loaded by a lookup compiled once.

Every signed-in request loads its user (``AuthenticationMiddleware``, through the backend's
``get_user``); building that ``SELECT`` with the ORM costs more CPU than the database spends
answering it. Signing in, the password check and the session-hash check that signs out
sessions after a password change are Django's and allauth's, unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from accounts.models import User
from kalytera.prepared import PreparedLookup

_USER_BY_ID = PreparedLookup(
    User, lambda user_id: User._default_manager.filter(pk=user_id).order_by(), user_id=int
)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id) -> User | None:
        """As ``ModelBackend.get_user``: the active user with this id, or ``None``."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _USER_BY_ID.first(user_id=pk)
        return user if user is not None and self.user_can_authenticate(user) else None
