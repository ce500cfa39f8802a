"""Where a stub listens: loopback unless explicitly allowed otherwise."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

__all__ = ["BindAddress", "RemoteHostRefused", "bind_address"]


class RemoteHostRefused(ValueError):
    """A host that is not loopback, without the explicit permission to serve on it."""


@dataclass(frozen=True, slots=True)
class BindAddress:
    """Where a stub listens, and the host its URLs name.

    Attributes:
        ip: the IP address to bind.
        family: ``AF_INET`` or ``AF_INET6``.
        url_host: the host in URLs: the IP (bracketed for IPv6), loopback for the unspecified address.
    """

    ip: str
    family: socket.AddressFamily
    url_host: str


def bind_address(host: str, *, allow_remote: bool = False) -> BindAddress:
    """Check a host to bind and say how to bind it.

    Args:
        host: an IP address or ``localhost``.
        allow_remote: allow an address that is not loopback.

    Returns:
        The address.

    Raises:
        ValueError: ``host`` is not an IP address or ``localhost``.
        RemoteHostRefused: ``host`` is not loopback and ``allow_remote`` is false.
    """
    try:
        ip = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host.strip("[]"))
    except ValueError:
        raise ValueError(f"host {host!r} is not an IP address (or localhost)") from None
    if not ip.is_loopback and not allow_remote:
        raise RemoteHostRefused(
            f"host {host} is not a loopback address: the stub would answer anyone who can reach it"
        )
    if ip.version == 6:
        shown = "::1" if ip.is_unspecified else str(ip)
        return BindAddress(str(ip), socket.AF_INET6, f"[{shown}]")
    return BindAddress(str(ip), socket.AF_INET, "127.0.0.1" if ip.is_unspecified else str(ip))
