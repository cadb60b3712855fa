"""Second factors at rest: TOTP secrets and recovery-code seeds are sealed in the database."""

from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.urls import reverse

from accounts import checks
from kalytera.sealing import is_sealed
from tests import personas

pytestmark = pytest.mark.django_db

SEALING = import_module("accounts.migrations.0006_seal_two_factor_secrets")


def raw_data(user) -> str:
    """The ``data`` column as a database dump shows it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s ORDER BY id", [user.pk])
        return " ".join(str(row[0]) for row in cursor.fetchall())


def sign_in(client, user, code: str):
    client.post(reverse("account_login"), {"login": user.email, "password": personas.PASSWORD})
    return client.post(reverse("mfa_authenticate"), {"code": code})


def test_the_totp_secret_is_not_in_the_database_and_its_codes_still_sign_in(client, customer):
    secret = generate_totp_secret()
    TOTP.activate(customer, secret)
    assert secret not in raw_data(customer)
    assert sign_in(client, customer, personas.totp_code(secret)).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_the_recovery_code_seed_is_sealed_and_its_codes_still_sign_in(client, customer):
    personas.give_totp(customer)
    codes = RecoveryCodes.activate(customer).get_unused_codes()
    row = Authenticator.objects.get(user=customer, type=Authenticator.Type.RECOVERY_CODES)
    assert is_sealed(row.data["seed"])
    assert not any(code in raw_data(customer) for code in codes)
    assert sign_in(client, customer, codes[0]).status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200


def test_the_migration_seals_a_secret_stored_in_clear_and_the_reverse_restores_it(client, customer):
    secret = generate_totp_secret()
    Authenticator.objects.create(user=customer, type=Authenticator.Type.TOTP, data={"secret": secret})
    Authenticator.objects.create(
        user=customer, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "ab" * 20, "used_mask": 0}
    )
    SEALING.seal(apps, None)
    SEALING.seal(apps, None)  # a second run leaves sealed values as they are
    assert secret not in raw_data(customer) and "ab" * 20 not in raw_data(customer)
    assert sign_in(client, customer, personas.totp_code(secret)).status_code == 302

    SEALING.unseal(apps, None)
    assert Authenticator.objects.get(user=customer, type=Authenticator.Type.TOTP).data == {"secret": secret}
    codes = Authenticator.objects.get(user=customer, type=Authenticator.Type.RECOVERY_CODES)
    assert codes.data["seed"] == "ab" * 20


def test_the_admin_does_not_show_the_sealed_data(staff_client_for, superuser):
    client = staff_client_for(superuser)
    authenticator = Authenticator.objects.get(user=superuser)
    page = client.get(f"/{settings.ADMIN_URL}mfa/authenticator/{authenticator.pk}/change/")
    assert page.status_code == 200
    assert "data" not in page.context["adminform"].form.fields
    assert authenticator.data["secret"].encode() not in page.content


def test_production_needs_a_strong_two_factor_secret(settings):
    settings.DEBUG = False
    settings.TWO_FACTOR_ENCRYPTION_SECRET = "development-two-factor-secret-not-secret"
    assert [error.id for error in checks.check_two_factor_secret(None)] == ["accounts.E003"]
    settings.TWO_FACTOR_ENCRYPTION_SECRET = "Tq8-vN2pLk9sT4wZ8mR1cY6bH3jD5fG0aE"
    assert checks.check_two_factor_secret(None) == []
