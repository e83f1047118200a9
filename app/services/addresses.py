"""The client's address for per-address quotas: the TCP peer, or X-Forwarded-For only through trusted proxies.

Anyone can send an X-Forwarded-For header, so it is read only when the peer is a proxy the deployment names
(PRETEXT_TRUSTED_PROXIES), and then from the right: the first hop that is not a trusted proxy is the client.
"""

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 32  # a longer chain is not walked: the quota key is then the nearest untrusted hop seen


def parse_proxies(text: str) -> tuple[Network, ...]:
    """'10.0.0.1, 172.16.0.0/12' -> networks; ValueError names a bad entry."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"PRETEXT_TRUSTED_PROXIES: {part!r} is not an IP address or network") from exc
    return tuple(out)


def _trusted(host: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: Request, proxies: Sequence[Network]) -> str:
    """The address a per-address quota counts against."""
    peer = request.client.host if request.client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for line in request.headers.getlist("x-forwarded-for") for h in line.split(",")]
    hops = [h for h in hops if h][-MAX_HOPS:]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer
