"""Durable state of the executor: requests, kill switches, leases."""

from executor.store.records import KillSwitch, RequestRecord
from executor.store.store import Event, Store
from executor.store.tables import kill_switches, metadata, requests

__all__ = ["Event", "KillSwitch", "RequestRecord", "Store", "kill_switches", "metadata", "requests"]
