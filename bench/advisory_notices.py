"""How long the targeted notice of an advisory takes: every person responsible for an affected license.

    DATABASE_URL=postgres://... DEBUG=true .venv/bin/python bench/advisory_notices.py [--people 10000]

Tops the benchmark data set up (``bench/seed.py``: one bulk customer per ten licenses, two
machines per license, all on 6.0.0, 2 % of the licenses suspended), publishes an advisory that
affects 6.0.x, and times the job that queues the emails (``process_security_notices``: who is
affected, then one email per person in batches). The emails are only queued (stored in the outbox
with a delivery task), as the job does; delivery is the workers' part. The advisory, its notices
and their emails are removed afterwards, so the script can run again.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalytera.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from advisories import services  # noqa: E402
from advisories.models import Advisory, AdvisoryRevision  # noqa: E402
from advisories.scoring import score  # noqa: E402
from bench import seed  # noqa: E402
from outbox.models import OutboundEmail  # noqa: E402

IDENTIFIER = "KSA-2099-001"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="affected license holders")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    seed.seed(int(args.people / seed.CUSTOMERS_PER_LICENSE))
    product = seed.plan().product
    first_email = (OutboundEmail.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    with transaction.atomic():
        advisory = Advisory.objects.create(identifier=IDENTIFIER, product=product)
        base_score, severity, vector = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        draft = AdvisoryRevision.objects.create(
            advisory=advisory, title="Bench", summary="Bench advisory.", cvss_vector=vector,
            base_score=base_score, severity=severity, affected_ranges=["6.0.x"], fixed_versions=["6.0.1"],
        )  # fmt: skip
        revision = services.publish_revision(revision=draft, by=None)
    try:
        started = time.perf_counter()
        people = services.affected_people(revision)
        lookup = time.perf_counter() - started
        machines = sum(len(person.machines) for person in people.values())
        started = time.perf_counter()
        queued = services.send_advisory_notices(batch_size=args.batch_size)
        total = time.perf_counter() - started
        print(f"affected: {len(people):,} people, {machines:,} machines; finding them: {lookup:.1f} s")
        print(f"notice job: {queued:,} emails queued in {total:.1f} s ({queued / total:,.0f} per second)")
    finally:
        with transaction.atomic():
            revision.notices.all().delete()
            Advisory.objects.filter(pk=advisory.pk).update(current=None)
            advisory.revisions.all().delete()
            advisory.delete()
            OutboundEmail.objects.filter(pk__gte=first_email).delete()


if __name__ == "__main__":
    main()
