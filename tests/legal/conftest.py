from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from django.utils import timezone

from legal.models import Policy, PolicyVersion
from tests import personas
from tests.legal.versions import release

_group_migration = import_module("legal.migrations.0002_policies_and_legal_group")


@pytest.fixture
def legal_setup(db) -> None:
    """The rows the migrations create; a transactional test that ran earlier may have flushed them."""
    for name in ("Support", "Licensing", "Legal"):
        Group.objects.get_or_create(name=name)
    _group_migration.create_policies(global_apps, None)
    _group_migration.grant_legal_group(global_apps)


@pytest.fixture
def legal_user(legal_setup):
    return personas.make_staff("leo@kalytera.example", "Legal")


@pytest.fixture
def support_user(legal_setup):
    return personas.make_staff("sam@kalytera.example", "Support")


@pytest.fixture
def licensing_user(legal_setup):
    return personas.make_staff("lena@kalytera.example", "Licensing")


@pytest.fixture
def terms(legal_setup) -> Policy:
    return Policy.objects.get(slug=Policy.Slug.TERMS)


@pytest.fixture
def privacy(legal_setup) -> Policy:
    return Policy.objects.get(slug=Policy.Slug.PRIVACY)


@pytest.fixture
def terms_v1(terms) -> PolicyVersion:
    return release(
        terms,
        number=1,
        effective_at=timezone.now() - timedelta(days=60),
        body="## Licenses\n\nYou may run the software on one server.",
    )


@pytest.fixture
def privacy_v1(privacy) -> PolicyVersion:
    return release(
        privacy,
        number=1,
        effective_at=timezone.now() - timedelta(days=60),
        body="## Cookies\n\nWe set a session cookie.",
    )
