"""The network half of origin confinement: a SOCKS5 gate in front of one browser context.

Playwright's ``route`` sees the first request of a redirect chain only, and
never sees what shared workers or speculative prefetches fetch. Every TCP
connection a context opens goes through its proxy, though, whatever asked for
it. So each context gets its own gate: a SOCKS5 server on loopback that
connects to the allowed origins' host and port and to nothing else. Redirect
hops, worker requests, prefetches, WebSockets and WebRTC over TCP all pass
through it. (Chromium proxies loopback too: Playwright sets ``<-loopback>``.)

A refused connection is still accepted at the SOCKS level for a moment, so
the gate can read what the browser was about to send and record it by origin
and path like the route layer does: a plain-HTTP request line gives the path,
a TLS ClientHello gives only the origin (the path is encrypted). Nothing is
forwarded and nothing else is kept: headers, cookies and query strings are
read into memory and dropped. A refused navigation is answered ``204 No
Content`` so the page stays where it was; anything else is cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import struct
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from executor.browser.blocked import BlockedRequest

__all__ = ["EgressGate"]

_PEEK_BYTES = 16_384
_PEEK_S = 2.0
_REQUEST_LINE = re.compile(rb"^([A-Z]{3,10}) (\S+) HTTP/1\.[01]\r\n")
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_port(origin: str) -> tuple[str, int]:
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    return host, parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return out


def describe(host: str, port: int, first: bytes) -> BlockedRequest:
    """What a refused connection was: origin and path only, from the first bytes the browser sent."""
    where = f"{_url_host(host)}:{port}"
    match = _REQUEST_LINE.match(first)
    if match:
        target = match.group(2).decode("latin-1")
        path = urlsplit(target).path if "://" in target else target.split("?", 1)[0].split("#", 1)[0]
        headers = _headers(first.split(b"\r\n\r\n", 1)[0])
        # Sec-Fetch-* are sent to trustworthy origins; Upgrade-Insecure-Requests only on navigations;
        # a speculative prefetch says so in Sec-Purpose and replaces no page.
        speculative = "prefetch" in headers.get("sec-purpose", "")
        navigation = not speculative and (
            headers.get("sec-fetch-mode") == "navigate" or headers.get("upgrade-insecure-requests") == "1"
        )
        kind = "prefetch" if speculative else headers.get("sec-fetch-dest") or ("document" if navigation else "other")
        return BlockedRequest(f"http://{where}", path or "/", kind, navigation)
    if first[:1] == b"\x16":  # a TLS handshake record: the path is inside the encryption
        return BlockedRequest(f"https://{where}", "", "connection", False)
    return BlockedRequest(f"tcp://{where}", "", "connection", False)


class EgressGate:
    """A SOCKS5 CONNECT server that reaches only the allowed origins' hosts and ports."""

    def __init__(
        self, allowed_origins: Iterable[str], on_block: Callable[[BlockedRequest], None], *, host: str = "127.0.0.1"
    ) -> None:
        self.allowed = frozenset(_host_port(o) for o in allowed_origins)
        self.on_block = on_block
        self.host = host
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """Listen on a free port; the proxy URL to give the browser context."""
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"socks5://{_url_host(self.host)}:{port}"

    async def close(self) -> None:
        """Stop listening and cut every open tunnel."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(handler)
        handler.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target = await _handshake(reader, writer)
            if target is None:
                return
            host, port = target
            if (host, port) in self.allowed:
                await self._tunnel(reader, writer, host, port)
            else:
                await self._refuse(reader, writer, host, port)
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int) -> None:
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")  # "connected": let it show what it wanted
        await writer.drain()
        first = b""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_PEEK_S):
                while b"\r\n\r\n" not in first and len(first) < _PEEK_BYTES:
                    chunk = await reader.read(_PEEK_BYTES)
                    if not chunk:
                        break
                    first += chunk
                    if first[:1] == b"\x16":
                        break
        blocked = describe(host, port, first)
        self.on_block(blocked)
        if blocked.navigation:
            writer.write(_NO_CONTENT)  # browsers do not navigate on 204: the page stays put
            await writer.drain()

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.write(b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00")  # connection refused
            await writer.drain()
            return
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65_536):
            writer.write(data)
            await writer.drain()
    except (OSError, ConnectionError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, int] | None:
    """RFC 1928 without authentication; (host, port) of a CONNECT, or None after refusing anything else."""
    version, n_methods = await reader.readexactly(2)
    methods = await reader.readexactly(n_methods)
    if version != 5 or 0 not in methods:
        writer.write(b"\x05\xff")
        await writer.drain()
        return None
    writer.write(b"\x05\x00")
    await writer.drain()
    _, command, _, address_type = await reader.readexactly(4)
    if address_type == 1:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif address_type == 3:
        (length,) = await reader.readexactly(1)
        host = (await reader.readexactly(length)).decode("idna").lower()
    elif address_type == 4:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    else:
        return None
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    if command != 1:  # only CONNECT: no BIND, no UDP ASSOCIATE
        writer.write(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
        await writer.drain()
        return None
    return host, port
