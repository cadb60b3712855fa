"""The site's own wording of allauth's account pages (locale/en): compiled, and in force."""

import gettext
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse

CATALOG = settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    text = (CATALOG / "django.po").read_text()
    pairs = re.findall(r'^msgid "(.*)"\nmsgstr "(.*)"$', text, re.MULTILINE)
    return {msgid.replace('\\"', '"'): msgstr.replace('\\"', '"') for msgid, msgstr in pairs if msgid}


def test_the_compiled_catalog_matches_its_source():
    with (CATALOG / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    assert {msgid: catalog.gettext(msgid) for msgid in po_entries()} == po_entries()


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs msgfmt (GNU gettext)")
def test_the_committed_catalog_is_what_msgfmt_makes_of_its_source(tmp_path):
    subprocess.run(["msgfmt", "-o", tmp_path / "django.mo", CATALOG / "django.po"], check=True)
    assert (tmp_path / "django.mo").read_bytes() == (CATALOG / "django.mo").read_bytes()


@pytest.mark.django_db
def test_the_sign_in_page_says_sign_in_and_create_account(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "<h1>Sign in</h1>" in " ".join(page.split()).replace("<h1> ", "<h1>").replace(" </h1>", "</h1>")
    assert "Create an account" in page
    assert "Sign In" not in page and "sign up" not in page
