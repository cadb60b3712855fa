from allauth.usersessions import apps as allauth_usersessions
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # Stated because this module holds a second configuration (the one below).
    default = True
    name = "accounts"
    verbose_name = "People and privacy"  # allauth's app (email addresses) is "Accounts"

    def ready(self) -> None:
        from accounts import checks, security_events  # noqa: F401  (system checks; allauth receivers)
        from accounts.privacy import registry  # noqa: F401  (this app's personal-data sections)


class UserSessionsConfig(allauth_usersessions.UserSessionsConfig):
    """allauth.usersessions, recording sign-ins with fewer statements (accounts/user_sessions.py)."""

    default = False

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from allauth.usersessions import signals

        from accounts import user_sessions

        super().ready()
        user_logged_in.disconnect(receiver=signals.on_user_logged_in)
        user_logged_in.connect(receiver=user_sessions.on_user_logged_in, weak=False)
