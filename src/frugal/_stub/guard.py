"""``deny_network()``: a test guard that makes every connection off loopback fail, and records it."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["NetworkBlocked", "NetworkGuard", "deny_network"]

_INET = (socket.AF_INET, socket.AF_INET6)


class NetworkBlocked(RuntimeError):
    """A connection (or a DNS lookup) to a non-loopback host while :func:`deny_network` was active.

    A ``RuntimeError``, not an ``OSError``: code that handles connection failures (a retry loop, a
    fallback, "try the next address") does not mistake it for a flaky network and carry on.

    Attributes:
        address: ``host:port`` of the attempt.
    """

    def __init__(self, address: str) -> None:
        super().__init__(
            f"frugal.testing.deny_network: connection to {address} blocked (tests may only reach loopback)"
        )
        self.address = address


def _host_port(address: Any) -> tuple[str, object]:
    if isinstance(address, tuple) and address:
        host = address[0]
        port = address[1] if len(address) > 1 else None
    else:
        host, port = address, None
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    return ("" if host is None else str(host)), port


def _format(host: str, port: object) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class NetworkGuard:
    """Blocks connections and DNS lookups off loopback while active, and records each attempt.

    Loopback is ``127.0.0.0/8``, ``::1`` and the names ``localhost`` and ``*.localhost``; any other host
    name is blocked without being looked up. Unix-domain sockets are never blocked.

    The SDKs catch every exception a connection attempt raises, wrap it in ``APIConnectionError`` and
    may retry, and frugal may fall back to another model: so a blocked attempt can be swallowed. It is
    still in :attr:`violations`; fail the test on it at teardown (see :meth:`raise_for_violations`).

    Patches ``socket.socket.connect``, ``socket.socket.connect_ex``, ``socket.create_connection`` and
    ``socket.getaddrinfo`` (what the stdlib, httpx2, asyncio and anyio use; C-level clients such as uvloop
    are not covered). Guards nest; stop them in reverse order.

    Args:
        allow: more hosts to allow: names (case-insensitive), IP addresses or networks (``"10.0.0.0/8"``).

    Attributes:
        violations: ``host:port`` of each blocked attempt, in order.
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.violations: list[str] = []
        self._names = {"localhost"}
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._names.add(entry.lower().rstrip("."))
        self._saved: tuple[Any, Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def allows(self, host: str) -> bool:
        """Whether a connection to ``host`` (a name or an IP address) may go ahead."""
        ip = _ip(host)
        if ip is None:
            name = host.lower().rstrip(".")
            return name in self._names or name.endswith(".localhost")
        return ip.is_loopback or any(ip in network for network in self._networks)

    def _check(self, host: str, port: object) -> None:
        if not self.allows(host):
            where = _format(host, port)
            with self._lock:
                self.violations.append(where)
            raise NetworkBlocked(where)

    @property
    def active(self) -> bool:
        """Whether the guard is patching ``socket`` now."""
        return self._saved is not None

    def start(self) -> NetworkGuard:
        """Patch ``socket``: from now on connections off loopback raise :class:`NetworkBlocked`.

        Returns:
            The guard itself.

        Raises:
            RuntimeError: the guard is already active.
        """
        if self._saved is not None:
            raise RuntimeError("this network guard is already active")
        connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
        create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo
        self._saved = (connect, connect_ex, create_connection, getaddrinfo)
        guard = self

        def guarded_connect(self: socket.socket, address: Any) -> None:
            if self.family in _INET:
                guard._check(*_host_port(address))
            connect(self, address)

        def guarded_connect_ex(self: socket.socket, address: Any) -> int:
            if self.family in _INET:
                guard._check(*_host_port(address))
            return connect_ex(self, address)

        def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            guard._check(*_host_port(address))
            return create_connection(address, *args, **kwargs)

        def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name, _ = _host_port((host, port))
            # An IP literal needs no DNS (its connection is checked); None means the local host.
            if host is not None and _ip(name) is None:
                guard._check(name, port)
            return getaddrinfo(host, port, *args, **kwargs)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
        socket.create_connection = guarded_create_connection
        socket.getaddrinfo = guarded_getaddrinfo
        return self

    def stop(self) -> None:
        """Restore ``socket`` as it was at :meth:`start` (the recorded violations are kept)."""
        if self._saved is None:
            return
        connect, connect_ex, create_connection, getaddrinfo = self._saved
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.create_connection = create_connection
        socket.getaddrinfo = getaddrinfo
        self._saved = None

    def raise_for_violations(self) -> None:
        """Raise :class:`NetworkBlocked` naming every blocked attempt, if there was any.

        Raises:
            NetworkBlocked: at least one attempt was blocked.
        """
        with self._lock:
            blocked = list(self.violations)
        if blocked:
            raise NetworkBlocked(", ".join(blocked))

    def __enter__(self) -> NetworkGuard:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def deny_network(*, allow: Iterable[str] = ()) -> NetworkGuard:
    """A guard that blocks every connection off loopback: use it with ``with`` or ``start()``/``stop()``.

    Example::

        with deny_network() as guard:
            run_the_code_under_test()
        assert not guard.violations, guard.violations

    Args:
        allow: more hosts to allow: names, IP addresses or networks (``"10.0.0.0/8"``).

    Returns:
        The guard, not yet active.
    """
    return NetworkGuard(allow)
