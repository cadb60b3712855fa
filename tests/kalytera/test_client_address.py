"""One rule for the client's address: trusted proxies only, IPv6 counted by its /64."""

import pytest
from allauth.usersessions.models import UserSession
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.adapter import AccountAdapter
from accounts.models import SecurityEvent
from kalytera.checks import check_proxy_networks
from kalytera.client_address import client_ip, rate_limit_key
from kalytera.config import PRIVATE_NETWORKS, proxy_networks
from tests import personas
from tests.contact.conftest import valid_form


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = list(PRIVATE_NETWORKS)


def request_from(remote: str, forwarded: str = ""):
    return RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: the header is the client's word only
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the address our proxy saw
        (1, "", "10.0.0.1"),  # bypassed the proxy
        (2, "203.0.113.9", "10.0.0.1"),  # fewer entries than proxies
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_as_many_forwarded_entries_as_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.TRUSTED_PROXY_NETWORKS = list(PRIVATE_NETWORKS)
    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


def test_a_forwarded_address_from_outside_the_proxy_networks_is_ignored(behind_a_proxy):
    # Someone who reaches gunicorn directly cannot pick the address they are counted by.
    assert client_ip(request_from("203.0.113.50", "198.51.100.1")) == "203.0.113.50"
    assert client_ip(request_from("127.0.0.1", "198.51.100.1")) == "198.51.100.1"
    assert client_ip(request_from("fd00::5", "198.51.100.1")) == "198.51.100.1"


def test_the_proxy_networks_can_be_named(behind_a_proxy, settings):
    settings.TRUSTED_PROXY_NETWORKS = ["192.0.2.0/24"]
    assert client_ip(request_from("192.0.2.10", "198.51.100.1")) == "198.51.100.1"
    assert client_ip(request_from("10.0.0.1", "198.51.100.1")) == "10.0.0.1"


def test_a_network_that_is_not_one_stops_start_up():
    assert proxy_networks(["10.0.0.0/8", "192.0.2.7"]) == ["10.0.0.0/8", "192.0.2.7"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_NETWORKS"):
        proxy_networks(["10.0.0.0/33"])


def test_ipv6_is_counted_by_its_64_and_ipv4_by_the_address():
    assert rate_limit_key(request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert rate_limit_key(request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert rate_limit_key(request_from("2001:db8:1:3::1")) == "2001:db8:1:3::/64"
    assert rate_limit_key(request_from("203.0.113.5")) == "203.0.113.5"


def test_ipv4_seen_through_an_ipv6_socket_is_the_ipv4_address(behind_a_proxy):
    # A server listening on [::] sees IPv4 peers as ::ffff:a.b.c.d.
    assert rate_limit_key(request_from("::ffff:203.0.113.5")) == "203.0.113.5"
    assert rate_limit_key(request_from("::ffff:203.0.113.6")) == "203.0.113.6"  # not one shared ::/64
    assert client_ip(request_from("::ffff:127.0.0.1", "198.51.100.1")) == "198.51.100.1"  # a trusted proxy
    assert client_ip(request_from("10.0.0.1", "::ffff:198.51.100.2")) == "198.51.100.2"


def test_a_peer_without_an_address_is_a_local_proxy(settings):
    # gunicorn on a unix socket leaves REMOTE_ADDR empty.
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("", "198.51.100.1")) == "127.0.0.1"
    assert rate_limit_key(request_from("")) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = ["192.0.2.10"]  # trusted whatever the networks name
    assert client_ip(request_from("", "198.51.100.1")) == "198.51.100.1"
    assert client_ip(request_from("")) == "127.0.0.1"


@pytest.mark.django_db
def test_signing_in_through_a_unix_socket_records_an_address(customer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    form = {"login": customer.email, "password": personas.PASSWORD}
    response = Client(REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.7").post(
        reverse("account_login"), form
    )
    assert response.status_code == 302
    assert set(UserSession.objects.values_list("ip", flat=True)) == {"198.51.100.7"}
    assert set(SecurityEvent.objects.values_list("ip", flat=True)) == {"198.51.100.7"}


def test_allauth_takes_the_address_from_the_same_rule(behind_a_proxy):
    assert AccountAdapter().get_client_ip(request_from("203.0.113.50", "198.51.100.1")) == "203.0.113.50"
    assert AccountAdapter().get_client_ip(request_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


@pytest.mark.django_db
def test_ipv6_addresses_rotated_inside_a_64_share_the_contact_forms_limit(settings):
    settings.CONTACT_RATE_LIMITS = ["2/m"]
    statuses = [
        Client(REMOTE_ADDR=f"2001:db8:7:7::{n}").post(reverse("contact:form"), valid_form()).status_code
        for n in range(1, 4)
    ]
    assert statuses == [302, 302, 429]
    other = Client(REMOTE_ADDR="2001:db8:7:8::1").post(reverse("contact:form"), valid_form())
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_spoofed_forwarded_address_does_not_escape_the_machine_apis_limit(behind_a_proxy, settings):
    settings.LICENSING_API_RATE_PER_ADDRESS = "2/m"
    statuses = [
        Client(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .post("/api/v1/validate", "{}", content_type="application/json")
        .status_code
        for n in range(3)
    ]
    assert statuses[2] == 429


def test_a_proxy_count_without_proxy_networks_is_warned_about(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = []
    assert [warning.id for warning in check_proxy_networks(None)] == ["kalytera.W010"]
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    assert check_proxy_networks(None) == []
