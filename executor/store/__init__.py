"""Durable state of the executor: requests, kill switches, leases.

Names load on first use (PEP 562): ``executor.store.view`` and the records
can be used without SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from executor.store.records import KillSwitch, RequestRecord, Snapshot
    from executor.store.store import Event, Store
    from executor.store.tables import kill_switches, metadata, requests

_SOURCES: dict[str, tuple[str, ...]] = {
    "executor.store.records": ("KillSwitch", "RequestRecord", "Snapshot"),
    "executor.store.store": ("Event", "Store"),
    "executor.store.tables": ("kill_switches", "metadata", "requests"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = ["Event", "KillSwitch", "RequestRecord", "Snapshot", "Store", "kill_switches", "metadata", "requests"]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'executor.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
