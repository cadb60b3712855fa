"""The people of the test suite, made in one place."""

from django.contrib.auth.models import Group

from accounts import services
from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


def make_customer(email: str = "carla@customer.example", **fields) -> User:
    return services.create_verified_user(email=email, password=PASSWORD, **fields)


def make_staff(email: str, group: str | None) -> User:
    return services.create_staff_user(email=email, password=PASSWORD, group=group)


def make_superuser(email: str = "root@kalytera.example") -> User:
    return services.create_verified_user(email=email, password=PASSWORD, is_staff=True, is_superuser=True)


def give_totp(user: User) -> None:
    """Give a staff member MFA so the admin opens for them."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    assert Authenticator.objects.filter(user=user).exists()


def in_group(user: User, name: str) -> bool:
    return user.groups.filter(pk=Group.objects.get(name=name).pk).exists()


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``.

    Waits for the next period when the current one is about to end, so the code is still
    valid when the server checks it.
    """
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 3:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
