"""Seal the TOTP secrets and recovery-code seeds stored before ``MFAAdapter`` encrypted them."""

from django.db import migrations

from accounts.adapter import TWO_FACTOR_PURPOSE, TWO_FACTOR_SEALER
from kalytera.sealing import is_sealed

# The values allauth passes through MFAAdapter.encrypt, by kind of authenticator.
SECRET_KEYS = {"totp": ("secret",), "recovery_codes": ("seed",)}


def _convert(apps, transform) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=SECRET_KEYS).iterator():
        data = dict(authenticator.data)
        for key in SECRET_KEYS[authenticator.type]:
            if key in data:
                data[key] = transform(data[key])
        if "migrated_codes" in data:  # codes carried over from django-allauth's predecessors
            data["migrated_codes"] = [transform(code) for code in data["migrated_codes"]]
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def seal(apps, schema_editor) -> None:
    _convert(apps, lambda value: value if is_sealed(value) else TWO_FACTOR_SEALER.seal(TWO_FACTOR_PURPOSE, value))


def unseal(apps, schema_editor) -> None:
    _convert(
        apps, lambda value: TWO_FACTOR_SEALER.unseal(TWO_FACTOR_PURPOSE, value) if is_sealed(value) else value
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_receipt_in_outbox"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
