"""Point the shipped catalogs at running fixtures, for the demo and benchmarks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["billing_env", "orders_env"]


@contextmanager
def _env(prefix: str, base_url: str, user: str, password: str) -> Iterator[None]:
    values = {f"{prefix}_URL": base_url, f"{prefix}_USER": user, f"{prefix}_PASSWORD": password}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def billing_env(base_url: str, user: str, password: str) -> Iterator[None]:
    """Set BILLING_URL/USER/PASSWORD for the block; restore the previous values after."""
    with _env("BILLING", base_url, user, password):
        yield


@contextmanager
def orders_env(base_url: str, user: str, password: str) -> Iterator[None]:
    """Set ORDERS_URL/USER/PASSWORD for the block; restore the previous values after."""
    with _env("ORDERS", base_url, user, password):
        yield
