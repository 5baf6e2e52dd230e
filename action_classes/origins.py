"""Web origins (scheme, host, port) as SPEC section 12 defines confinement.

A different port on the same host is a different origin; default ports are
made explicit so ``http://a`` and ``http://a:80`` compare equal.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["normalize_origin", "origin_of"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WS_TO_HTTP = {"ws": "http", "wss": "https"}


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an absolute http(s)/ws(s) URL, else None.

    WebSocket URLs map to the http origin of the same host and port, so a
    target's allowed origins also govern its sockets.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    port = port or _DEFAULT_PORTS[scheme]
    return f"{_WS_TO_HTTP.get(scheme, scheme)}://{parts.hostname.lower()}:{port}"


def normalize_origin(text: str) -> str:
    """Validate an origin written in a catalog and return its normal form.

    Raises ValueError for anything that is not a bare http(s) origin.
    """
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"origin {text!r} must start with http:// or https://")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"origin {text!r} must be scheme://host[:port] with nothing after it")
    origin = origin_of(text)
    if origin is None:
        raise ValueError(f"origin {text!r} is not a valid URL")
    return origin
