"""Point the shipped catalog at a running billing console, for the demo and benchmarks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["billing_env"]

_KEYS = ("BILLING_URL", "BILLING_USER", "BILLING_PASSWORD")


@contextmanager
def billing_env(base_url: str, user: str, password: str) -> Iterator[None]:
    """Set BILLING_URL/USER/PASSWORD for the block; restore the previous values after."""
    saved = {k: os.environ.get(k) for k in _KEYS}
    os.environ.update(BILLING_URL=base_url, BILLING_USER=user, BILLING_PASSWORD=password)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
