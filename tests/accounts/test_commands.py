import io
import sys

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tests import personas

pytestmark = pytest.mark.django_db


def create_staff(*args: str, password: str = "a-long-staff-passphrase") -> str:
    out = io.StringIO()
    original, sys.stdin = sys.stdin, io.StringIO(password + "\n")
    try:
        call_command("create_staff_user", *args, "--password-stdin", stdout=out)
    finally:
        sys.stdin = original
    return out.getvalue()


def test_creates_a_staff_member_in_one_group_with_a_verified_address():
    output = create_staff("Sam@Kalytera.example", "--group", "Support")
    user = User.objects.get(email="sam@kalytera.example")
    assert "Created staff user sam@kalytera.example (group Support)." in output
    assert user.is_staff and not user.is_superuser
    assert personas.in_group(user, "Support")
    assert not personas.in_group(user, "Legal")
    assert user.emailaddress_set.get().verified
    assert user.check_password("a-long-staff-passphrase")


def test_creates_a_superuser_when_asked():
    create_staff("root2@kalytera.example", "--superuser")
    user = User.objects.get(email="root2@kalytera.example")
    assert user.is_staff and user.is_superuser


@pytest.mark.parametrize(
    ("args", "password", "code"),
    [
        (("not-an-address", "--group", "Support"), "a-long-staff-passphrase", "INVALID_EMAIL"),
        (("sam@kalytera.example",), "a-long-staff-passphrase", "NO_ROLE"),
        (("sam@kalytera.example", "--group", "Support"), "short", "PASSWORD_TOO_SHORT"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(args, password, code):
    with pytest.raises(CommandError, match=code):
        create_staff(*args, password=password)
    assert not User.objects.filter(is_staff=True).exists()


def test_unknown_group_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        create_staff("sam@kalytera.example", "--group", "Admins")


def test_existing_address_is_refused(customer):
    with pytest.raises(CommandError, match="USER_EXISTS"):
        create_staff(customer.email.upper(), "--group", "Support")
    customer.refresh_from_db()
    assert not customer.is_staff
