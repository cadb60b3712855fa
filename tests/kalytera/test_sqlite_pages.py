"""The development default: the demo's signed-in pages answer on SQLite, as ``bin/run`` serves them.

The suite runs on PostgreSQL. The license pages use SQL that differs between the two (id
arrays, day intervals, the versions' aggregate) and queries compiled once on PostgreSQL
only (``kalytera.prepared``), so the demo is migrated, seeded and visited on SQLite here, in
processes of its own.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

VISIT = """
from django.conf import settings
from django.test import Client

from accounts.models import User
from licensing.access import visible_licenses

settings.ALLOWED_HOSTS = ["testserver"]
for email, urls in [
    ("customer@kalytera.example", ["/licenses/", "/account/", "/account/profile/"]),
    ("integrator@kalytera.example", ["/integrators/", "/licenses/", "/account/"]),
]:
    person = User.objects.get(email=email)
    client = Client()
    client.force_login(person)
    first = visible_licenses(person).order_by("pk").first()
    for url in [*urls, f"/licenses/{first.public_id}/"]:
        print(email, url, client.get(url, secure=True).status_code)
"""


def manage(*args: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_signed_in_pages_answer_on_sqlite(tmp_path):
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    manage("migrate", "--verbosity", "0", env=env)
    manage("seed_demo", env=env)
    visits = manage("shell", "--no-imports", "--command", VISIT, env=env).split("\n")
    answers = [line for line in visits if "@kalytera.example " in line]
    assert len(answers) == 8
    assert all(line.endswith(" 200") for line in answers), answers
