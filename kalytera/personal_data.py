"""The registry of personal data: what each app holds about a person, how to show it and erase it.

Every app that stores data about a user (a link to the user, or an email address)
registers one ``PersonalData`` section per kind of data in ``<app>/personal_data.py``
(found by autodiscovery, like ``admin.py``; the accounts app, whose privacy code is a package,
registers its sections from ``accounts/privacy/registry.py`` when it is ready).
The "Your data" page, the JSON export and the account purge all read this registry,
so they cannot drift apart; a test fails when a model with personal data is in no
section, so a new model cannot be forgotten.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.db import models
from django.utils.module_loading import autodiscover_modules

Row = dict[str, Any]


@dataclass(frozen=True)
class PersonalData:
    """One kind of data the platform holds about a person.

    ``collect(user)`` returns JSON-safe rows (the page and the export show exactly these);
    ``erase(user)`` deletes or de-personalises them when the account is purged and must be
    safe to run twice. ``models`` names every model whose rows this section covers.

    ``order`` sets the place on the page (lower first). The purge erases in the reverse
    order, so the account itself (order 10, shown first) is deleted last: every other
    section's ``erase`` still finds the user, its addresses and its rows. Sections that
    must keep rows (licenses needed by law or by the VMS) de-personalise them in
    ``erase`` and say what is kept, and why, in ``kept_after_deletion``.
    """

    key: str
    title: str
    explanation: str
    models: tuple[type[models.Model], ...]
    collect: Callable[[Any], list[Row]]
    erase: Callable[[Any], object]  # what it returns is ignored
    order: int = 100
    kept_after_deletion: str = field(default="")  # what survives the purge, and why (shown to the user)
    staff_only: bool = False  # only staff accounts can have such rows: not listed to customers

    def concerns(self, user) -> bool:
        """Whether a page about ``user``'s data should mention this section at all."""
        return user.is_staff or not self.staff_only


_sections: dict[str, PersonalData] = {}


def register(section: PersonalData) -> PersonalData:
    if section.key in _sections and _sections[section.key] != section:
        raise ValueError(f"A personal-data section named {section.key!r} is registered already.")
    _sections[section.key] = section
    return section


def sections() -> list[PersonalData]:
    """Every registered section, in display order."""
    autodiscover_modules("personal_data")
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def covered_models() -> set[type[models.Model]]:
    return {model for section in sections() for model in section.models}


def email_addresses(user) -> list[str]:
    """Every address of ``user`` (the account's and its other addresses), lowercased, as the
    addresses other people typed (invitations, grants, transfer offers) are stored and matched."""
    known = {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    return sorted(address.lower() for address in known if address)
