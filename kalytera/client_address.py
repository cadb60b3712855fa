"""The client's address: one rule for the platform's limits, allauth's limits and the records.

``client_ip`` is the address a request came from: the socket's peer, or, when that peer is
one of our own proxies, the address our outermost proxy saw. ``rate_limit_key`` is what
limits count: the address itself for IPv4, its /64 network for IPv6, since one IPv6 client
(one home or one server) is given a /64 and can take a new address in it at will. allauth's
limits group IPv6 the same way (``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, 64 by default), and its
adapter takes the address from ``client_ip`` (``accounts/adapter.py``).

An IPv4 client seen through an IPv6 socket (``::ffff:203.0.113.9``, from a server listening
on ``[::]``) is the IPv4 address it maps: counted alone, not with every other IPv4 client in
``::/64``, and matched against IPv4 proxy networks.

gunicorn on a unix socket reports no peer address: the peer is then a process on this
machine, our proxy, so it is taken as ``LOCAL_PEER`` and trusted whenever
``TRUSTED_PROXY_COUNT`` is set. ``client_ip`` always returns an address, as the records
that store it (security events, allauth's session list) need one.
"""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPV6_PREFIX = 64
LOCAL_PEER = ipaddress.IPv4Address("127.0.0.1")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str:
    """The client's address, taken from ``X-Forwarded-For`` only when a trusted proxy sent it.

    With ``TRUSTED_PROXY_COUNT = n`` and the request arriving from an address in
    ``TRUSTED_PROXY_NETWORKS``, the n-th address from the right is the one our outermost
    proxy saw; anything further left was written by the client and is ignored. A request
    from anywhere else (one that reached gunicorn directly) counts by its socket address,
    whatever headers it carries, as does one with fewer entries than proxies. A peer
    without an address (a unix socket) is a local proxy.
    """
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies and (peer is None or _is_trusted_proxy(peer)):
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part]
        if len(forwarded) >= proxies:
            address = _parse(forwarded[-proxies])
            if address is not None:
                return str(address)
    return str(peer or LOCAL_PEER)


def rate_limit_key(request: HttpRequest) -> str:
    """What per-address limits count: the IPv4 address, or the /64 an IPv6 address lies in."""
    address = client_ip(request)
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return address


def _parse(address: str) -> Address | None:
    """The address, with an IPv4-mapped IPv6 address as the IPv4 address it maps; None if none."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _is_trusted_proxy(address: Address) -> bool:
    return any(address in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXY_NETWORKS)))


@functools.lru_cache(maxsize=8)
def _trusted_networks(networks: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)
