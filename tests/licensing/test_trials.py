"""Self-service trials: one per account and product from the browser, one per machine at activation."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from licensing import keys, services
from licensing.models import License, Plan
from licensing.services import LicensingError
from organizations.services import personal_organization
from tests.licensing.conftest import digest

URL = reverse("licensing:trial")


@pytest.fixture
def trial_plan(make_plan):
    return make_plan(Plan.Kind.TRIAL, duration_days=30, max_machines=1)


def test_a_customer_starts_a_trial_and_sees_the_key_once(customer_client, customer, trial_plan):
    page = customer_client.get(URL).content.decode()
    assert trial_plan.name in page
    response = customer_client.post(URL, {"plan": trial_plan.code})
    assert response.status_code == 200
    license = License.objects.get(organization__personal_for=customer)
    assert (license.plan, license.trial_of) == (trial_plan, trial_plan.product)
    html = response.content.decode()
    key = html.split('<code class="license-key">')[1].split("<")[0]
    assert keys.lookup_hash(keys.normalize(key)) == license.key_hash
    assert "no-cache" in response["Cache-Control"]


def test_a_second_trial_of_the_same_product_is_refused(customer_client, customer, trial_plan, make_plan):
    customer_client.post(URL, {"plan": trial_plan.code})
    longer = make_plan(Plan.Kind.TRIAL, duration_days=60)
    assert "There is no trial you can start" in customer_client.get(URL).content.decode()
    refused = customer_client.post(URL, {"plan": longer.code})
    assert refused.status_code == 400
    assert License.objects.filter(organization__personal_for=customer).count() == 1


def test_the_service_refuses_a_second_trial_with_a_clear_code(customer, trial_plan):
    services.start_trial(user=customer, plan=trial_plan)
    with pytest.raises(LicensingError) as refused:
        services.start_trial(user=customer, plan=trial_plan)
    assert refused.value.code == "TRIAL_ALREADY_USED"


def test_the_database_holds_one_trial_per_account_and_product(customer, trial_plan):
    first = services.start_trial(user=customer, plan=trial_plan).license
    second = License(
        plan=trial_plan,
        organization=personal_organization(user=customer),
        trial_of=trial_plan.product,
        key_hash="x" * 64,
        key_sealed="-",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert License.objects.get(organization__personal_for=customer) == first


def test_plans_that_are_no_trial_cannot_be_started(customer_client, customer, plan):
    assert customer_client.post(URL, {"plan": plan.code}).status_code == 400
    with pytest.raises(LicensingError) as refused:
        services.start_trial(user=customer, plan=plan)
    assert refused.value.code == "NOT_A_TRIAL"
    assert not License.objects.exists()


@pytest.mark.parametrize("data", [{}, {"plan": "no-such-plan"}])
def test_bad_input_is_explained(customer_client, trial_plan, data):
    response = customer_client.post(URL, data)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not License.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, trial_plan):
    assert client.get(URL).status_code == 302
    assert client.post(URL, {"plan": trial_plan.code}).status_code == 302
    assert not License.objects.exists()


def test_a_trial_started_by_one_account_is_separate_from_another(
    client, customer, other_customer, trial_plan
):
    services.start_trial(user=customer, plan=trial_plan)
    client.force_login(other_customer)
    assert client.post(URL, {"plan": trial_plan.code}).status_code == 200
    assert License.objects.filter(organization__personal_for=other_customer).count() == 1


def test_one_machine_runs_one_trial_per_product(customer, other_customer, trial_plan):
    mine = services.start_trial(user=customer, plan=trial_plan)
    theirs = services.start_trial(user=other_customer, plan=trial_plan)
    services.activate_machine(key=mine.key, fingerprint=digest("nvr"))
    with pytest.raises(LicensingError) as refused:
        services.activate_machine(key=theirs.key, fingerprint=digest("nvr"))
    assert refused.value.code == "TRIAL_ALREADY_USED"
    services.activate_machine(key=mine.key, fingerprint=digest("nvr"))  # the same trial again: fine


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_trial_starts_give_one_license(customer, trial_plan):
    racers = 8
    start = threading.Barrier(racers)

    def attempt(_) -> str:
        start.wait()
        try:
            services.start_trial(user=customer, plan=trial_plan)
            return "started"
        except LicensingError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = sorted(pool.map(attempt, range(racers)))
    assert outcomes == ["TRIAL_ALREADY_USED"] * (racers - 1) + ["started"]
    assert License.objects.filter(organization__personal_for=customer).count() == 1
