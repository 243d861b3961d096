"""Trusted proxies: take the client address and scheme from forwarding headers, safely."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["Addresses", "AllowedClients", "ProxyHeaders"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Addresses:
    """Addresses and networks (``"127.0.0.1"``, ``"10.0.0.0/8"``, ``"*"`` for any):
    ``address in addresses`` for a client's address text."""

    __slots__ = ("_any", "_networks", "_seen")

    def __init__(self, entries: Iterable[str]) -> None:
        entries = tuple(entries)
        self._any = "*" in entries
        self._seen: dict[str, bool] = {}
        self._networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(e, strict=False) for e in entries if e != "*"
        )

    def __contains__(self, address: object) -> bool:
        if self._any:
            return True
        if not isinstance(address, str):
            return False
        # PERF: parsing addresses costs ~5 us; peers repeat, so answers are remembered.
        known = self._seen.get(address)
        if known is None:
            known = self._check(address)
            if len(self._seen) >= 4096:
                self._seen.clear()
            self._seen[address] = known
        return known

    def _check(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)


class AllowedClients:
    """A filter: only clients whose address is among ``entries`` (addresses, networks,
    ``"*"``) pass; the others get 403 saying which setting lets them in."""

    __slots__ = ("addresses", "setting")

    def __init__(self, entries: Iterable[str], setting: str) -> None:
        self.addresses = Addresses(entries)
        self.setting = setting

    def allows(self, ctx: Context) -> bool:
        """Whether the request's client address is allowed."""
        client = ctx.request.client
        return client is not None and client[0] in self.addresses

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Refuse clients outside the list with 403."""
        if not self.allows(ctx):
            from mvcpy.errors import HTTPError

            raise HTTPError(403, f"only the addresses of {self.setting} may open this")
        response: Response = await call_next(ctx)
        return response

    def __repr__(self) -> str:
        return f"AllowedClients({self.setting})"


class ProxyHeaders:
    """Believe ``X-Forwarded-For``/``-Proto``/``-Host`` or ``Forwarded`` only from trusted peers.

    ``trusted`` lists proxy addresses or networks (``"127.0.0.1"``, ``"10.0.0.0/8"``,
    ``"*"`` for any). When the connection comes from a trusted address, the client is
    the rightmost address in the forwarding chain that is not itself trusted, and the
    scheme is the forwarded one; from anyone else the headers are ignored. The result
    is what ``ctx.request.client`` and ``ctx.request.scheme`` report. Put this filter
    first, so that logs and rate limits see the real client.
    """

    __slots__ = ("_trusted", "trusted", "use_host")

    def __init__(self, trusted: Iterable[str] = ("127.0.0.1", "::1"), use_host: bool = False):
        self.trusted = tuple(trusted)
        self.use_host = use_host
        self._trusted = Addresses(self.trusted)

    def is_trusted(self, address: str) -> bool:
        """Tell whether ``address`` is one of the trusted proxies."""
        return address in self._trusted

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Rewrite the request's client and scheme from a trusted proxy's headers."""
        scope = ctx.scope
        client = scope.get("client")
        if client and self.is_trusted(client[0]):
            self._apply(ctx)
        response: Response = await call_next(ctx)
        return response

    def _apply(self, ctx: Context) -> None:
        headers = ctx.request.headers
        scope = ctx.scope
        chain: list[str] = []
        proto: str | None = None
        host: str | None = None
        forwarded = headers.getlist("forwarded")
        if forwarded:
            for element in ",".join(forwarded).split(","):
                for pair in element.split(";"):
                    key, _, value = pair.strip().partition("=")
                    key = key.lower()
                    value = value.strip().strip('"')
                    if key == "for" and value:
                        chain.append(_strip_port(value))
                    elif key == "proto" and value:
                        proto = value
                    elif key == "host" and value:
                        host = value
        else:
            for value in headers.getlist("x-forwarded-for"):
                chain.extend(part.strip() for part in value.split(",") if part.strip())
            proto = headers.get("x-forwarded-proto")
            host = headers.get("x-forwarded-host")
        if chain:
            address = chain[0]
            for candidate in reversed(chain):
                if not self.is_trusted(candidate):
                    address = candidate
                    break
            scope["client"] = (address, 0)
        if proto:
            proto = proto.split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
        if host and self.use_host:
            host = host.split(",")[-1].strip()
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"host"] + [
                (b"host", host.encode("latin-1"))
            ]
            ctx.request._headers = None

    def __repr__(self) -> str:
        return f"ProxyHeaders(trusted={list(self.trusted)!r})"


def _strip_port(value: str) -> str:
    if value.startswith("["):  # [2001:db8::1]:4711
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:  # 192.0.2.1:4711
        return value.split(":", 1)[0]
    return value
