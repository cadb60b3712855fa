"""The data migration: every account gets a personal organization holding its licenses."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("licensing", "0005_lifecycle"), ("organizations", None)]
AFTER = [("licensing", "0006_licenses_held_by_organizations")]


def _migrate(targets) -> object:
    """Migrate to ``targets``; the models as they were there (``None`` targets: every migration)."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(targets or leaves)
    executor.loader.build_graph()
    nodes = [target for target in targets or leaves if target[1] is not None]
    return executor.loader.project_state(nodes).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["database's own", "portable"])
def test_existing_licenses_move_to_their_owners_personal_organization(monkeypatch, path):
    old = _migrate(BEFORE)
    User = old.get_model("accounts", "User")
    Product = old.get_model("licensing", "Product")
    Plan = old.get_model("licensing", "Plan")
    License = old.get_model("licensing", "License")
    LicenseEvent = old.get_model("licensing", "LicenseEvent")
    carla = User.objects.create(email="carla@customer.example", age_confirmed_at=timezone.now())
    otto = User.objects.create(email="otto@other.example", age_confirmed_at=timezone.now())
    product = Product.objects.create(slug="vms", name="VMS")
    plan = Plan.objects.create(
        product=product, code="pro", name="Pro", kind="trial", duration_days=30, channels=8
    )

    def license(n: int, owner) -> object:
        return License.objects.create(
            plan=plan, owner=owner, key_hash=f"{n:064d}", key_prefix=f"KLY-000{n}", key_sealed="-",
            trial_of=product if owner is not None else None,
        )  # fmt: skip

    carlas, ottos, unassigned = license(1, carla), license(2, otto), license(3, None)
    LicenseEvent.objects.create(license=carlas, kind="claimed", actor="customer", actor_user=carla)
    LicenseEvent.objects.create(license=carlas, kind="issued", actor="system")

    if path == "portable":  # what SQLite (development) runs, tried on whatever database the tests use
        monkeypatch.setattr(connection, "vendor", "portable")
    new = _migrate(AFTER)
    monkeypatch.undo()
    License = new.get_model("licensing", "License")
    Organization = new.get_model("organizations", "Organization")
    Membership = new.get_model("organizations", "Membership")
    LicenseEvent = new.get_model("licensing", "LicenseEvent")
    personal = {org.personal_for_id: org for org in Organization.objects.all()}
    assert set(personal) == {carla.pk, otto.pk}
    assert set(Membership.objects.values_list("user_id", "organization_id", "role")) == {
        (carla.pk, personal[carla.pk].pk, "owner"),
        (otto.pk, personal[otto.pk].pk, "owner"),
    }
    held = dict(License.objects.values_list("pk", "organization_id"))
    assert held == {carlas.pk: personal[carla.pk].pk, ottos.pk: personal[otto.pk].pk, unassigned.pk: None}
    events = dict(LicenseEvent.objects.values_list("kind", "organization_id"))
    assert events == {"claimed": personal[carla.pk].pk, "issued": None}
    _migrate(None)  # the latest schema again, for the tests that follow
