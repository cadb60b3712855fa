"""The personal-data registry covers every model that holds personal data."""

import json

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from accounts.privacy import exports
from kalytera import personal_data

# Models linked to a user or holding an address that are deliberately not in the
# registry, each with the reason. Keep this list short and every entry justified.
EXEMPT: dict[str, str] = {}


def _holds_personal_data(model: type[models.Model]) -> bool:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for field in model._meta.get_fields():
        if isinstance(field, models.ForeignKey | models.OneToOneField) and field.related_model is user_model:
            return True
        if isinstance(field, models.EmailField) or getattr(field, "name", "") == "email":
            return True
    return False


def _is_covered(model: type[models.Model], covered: set) -> bool:
    if model in covered:
        return True
    # Tables Django makes for a many-to-many field go with the rows of the model that has it.
    if model._meta.auto_created:
        return any(
            isinstance(field, models.ForeignKey) and field.related_model in covered
            for field in model._meta.fields
        )
    return False


def test_every_model_with_personal_data_is_in_the_registry():
    covered = personal_data.covered_models()
    missing = [
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if _holds_personal_data(model) and not _is_covered(model, covered) and model._meta.label not in EXEMPT
    ]
    assert missing == [], (
        f"Register these models in <app>/personal_data.py (see kalytera/personal_data.py): {missing}"
    )


def test_the_check_itself_notices_a_model_with_a_user_link():
    from accounts.models import SecurityEvent

    assert _holds_personal_data(SecurityEvent)
    assert not _is_covered(SecurityEvent, set())


def test_the_exemption_list_names_only_existing_models():
    labels = {model._meta.label for model in apps.get_models(include_auto_created=True)}
    assert set(EXEMPT) <= labels


def test_section_keys_are_unique_and_conflicting_registration_is_refused():
    sections = personal_data.sections()
    assert len({section.key for section in sections}) == len(sections)
    account = next(section for section in sections if section.key == "account")
    with pytest.raises(ValueError, match="registered already"):
        personal_data.register(personal_data.PersonalData(**{**account.__dict__, "title": "Other"}))


@pytest.mark.django_db
def test_sections_collect_json_safe_rows_and_erasing_twice_leaves_nothing(person_with_data):
    customer = person_with_data
    sections = personal_data.sections()
    held = {section.key: json.dumps(section.collect(customer)) for section in sections}
    assert [key for key, rows in held.items() if rows == "[]"] == []  # the seed fills every section
    for section in reversed(sections):
        section.erase(customer)
        section.erase(customer)  # a purge interrupted and run again
    # The account section shows the user object it is given; the account itself is gone.
    assert not type(customer).objects.filter(pk=customer.pk).exists()
    left = {section.key: section.collect(customer) for section in sections if section.key != "account"}
    assert {key: rows for key, rows in left.items() if rows} == {}


@pytest.mark.django_db
def test_no_secret_of_a_second_factor_is_shown(customer):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    from tests import personas

    personas.give_totp(customer)
    secret = decrypt(Authenticator.objects.get(user=customer).data["secret"])
    assert secret not in exports.report_as_json(customer)
