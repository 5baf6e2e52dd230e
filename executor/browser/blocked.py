"""What the confinement refused, as recorded: origin and path only (query strings can carry secrets)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BlockedRequest"]


@dataclass(frozen=True)
class BlockedRequest:
    """One request the confinement refused.

    ``path`` is empty when it could not be known (a TLS connection refused by
    the network gate); ``navigation`` says whether it would have replaced a
    page or frame.
    """

    origin: str
    path: str
    resource_type: str
    navigation: bool
