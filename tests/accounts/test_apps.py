"""The accounts app's configuration, and allauth.usersessions' as configured here."""

from allauth.account import signals as account_signals
from allauth.usersessions import signals as usersessions_signals
from django.apps import apps

from accounts import user_sessions
from accounts.apps import AccountsConfig, UserSessionsConfig


def test_the_accounts_app_starts_with_its_own_configuration():
    # Its ready() connects the security timeline's receivers and registers the system checks.
    assert type(apps.get_app_config("accounts")) is AccountsConfig


def test_allauths_own_sign_in_receiver_is_replaced():
    assert type(apps.get_app_config("usersessions")) is UserSessionsConfig
    receivers = account_signals.user_logged_in._live_receivers(None)[0]
    assert user_sessions.on_user_logged_in in receivers
    assert usersessions_signals.on_user_logged_in not in receivers
    # allauth's other receivers stay: a password change keeps the session listed.
    password_receivers = account_signals.password_changed._live_receivers(None)[0]
    assert usersessions_signals.on_password_changed in password_receivers
