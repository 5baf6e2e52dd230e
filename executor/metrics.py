"""Prometheus metrics of one Steward process (``/metrics``; the list is in docs/operating.md).

Two kinds of figures:

- **Events this process saw**, counted as they happen: terminal requests,
  submit-to-terminal and step durations, verification outcomes, approval
  latency, audit append latency. They come from a ``StoreObserver`` the Store
  calls after each committed transaction (so a rolled-back change is never
  counted) and from the runner (step durations). Each transition happens in
  exactly one process: sum them across the fleet.
- **State read from the database at scrape time** (a custom collector): queue
  depth, oldest queued age, approvals waiting, kill switches engaged. Every
  process sharing the database reports the same values: take ``max``, not
  ``sum``. If the database cannot be read the scrape still answers, with
  ``steward_database_readable 0``.

Labels are bounded: action names come from the catalog (an unknown action
submitted by an agent is counted as ``unknown``), classes and states are enums,
kill-switch scopes are the catalog's targets, actions and classes. Never a
request id or a customer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from executor.store.records import RequestRecord

__all__ = ["CONTENT_TYPE", "Metrics", "StoreObserver"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_UNKNOWN = "unknown"
# Seconds: a browser action takes seconds to minutes; a person approves in minutes to hours.
_RUN_BUCKETS = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
_STEP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_APPROVAL_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600)
_APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
# Terminal states reached after commit.started, and what they say about verification.
_VERIFIED = {"succeeded": "verified", "unverified": "unverified"}
_LEFT_APPROVAL = {"queued": "approved", "denied": "denied", "expired": "expired", "cancelled": "cancelled"}


class StoreObserver(Protocol):
    """What the Store tells after its transactions (``Store.observers``)."""

    def appended(self, seconds: float) -> None:
        """One audit event was appended inside a transaction in ``seconds``."""

    def committed(self, rec: RequestRecord | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        """A transaction committed ``events``; ``rec`` is the request as it now is (None: not a request's)."""


def _action(rec: RequestRecord) -> str:
    return rec.action if rec.target is not None else _UNKNOWN  # no target: the catalog does not know it


class Metrics:
    """The registry of one process and the instruments the Store, runner and driver feed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "steward_requests_total", "Requests that reached a terminal state, by action, class and state.",
            ["action", "class", "state"], registry=r,
        )
        self.request_seconds = Histogram(
            "steward_request_duration_seconds", "From submission to the terminal state.",
            ["action", "state"], buckets=_RUN_BUCKETS, registry=r,
        )
        self.step_seconds = Histogram(
            "steward_step_duration_seconds", "One browser step (precondition, step, commit, verify).",
            ["action", "phase", "kind"], buckets=_STEP_BUCKETS, registry=r,
        )
        self.verifications = Counter(
            "steward_verifications_total",
            "Verification outcomes after a commit: verified, unverified, commit_refused, not_committed, deferred.",
            ["action", "outcome"], registry=r,
        )
        self.approval_seconds = Histogram(
            "steward_approval_latency_seconds",
            "From submission to the end of the wait for a person: approved, denied, expired or cancelled.",
            ["action", "decision"], buckets=_APPROVAL_BUCKETS, registry=r,
        )
        self.append_seconds = Histogram(
            "steward_audit_append_duration_seconds", "Appending one audit event (inside its transaction).",
            buckets=_APPEND_BUCKETS, registry=r,
        )
        self._drivers: list[Any] = []
        self.registry.register(_Contexts(self._drivers))

    # -- feeding -------------------------------------------------------------------

    def watch_database(self, steward: Any) -> None:
        """Report the queue, approvals and kill switches of ``steward``'s database at each scrape."""
        self.registry.register(_DatabaseState(steward))

    def watch_driver(self, driver: Any) -> None:
        """Report ``driver.contexts_open`` (browser contexts open) at each scrape."""
        if not any(d is driver for d in self._drivers):
            self._drivers.append(driver)

    def observe_step(self, action: str, phase: str, kind: str, seconds: float) -> None:
        self.step_seconds.labels(action, phase, kind).observe(seconds)

    def verification(self, action: str, outcome: str) -> None:
        self.verifications.labels(action, outcome).inc()

    def store_observer(self) -> StoreObserver:
        return _Observer(self)

    def exposition(self) -> bytes:
        """The text format a Prometheus server scrapes."""
        return generate_latest(self.registry)


class _Observer:
    """Turns committed transactions into counters and histograms."""

    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    def appended(self, seconds: float) -> None:
        self.m.append_seconds.observe(seconds)

    def committed(self, rec: RequestRecord | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        if rec is None:
            return
        action = _action(rec)
        for event_type, payload in events:
            if event_type.startswith("request.") and payload.get("from") == "awaiting_approval":
                decision = _LEFT_APPROVAL.get(str(payload.get("to")))
                if decision is not None:
                    self.m.approval_seconds.labels(action, decision).observe(max(0.0, rec.updated_at - rec.created_at))
        if not rec.terminal or not any(t == f"request.{rec.state.value}" for t, _ in events):
            return
        state = rec.state.value
        self.m.requests.labels(action, rec.action_class or "none", state).inc()
        self.m.request_seconds.labels(action, state).observe(max(0.0, rec.updated_at - rec.created_at))
        if rec.commit_started_at is not None:
            outcome = _VERIFIED.get(state) or rec.error_code or state
            self.m.verification(action, outcome)


class _Contexts(Collector):
    def __init__(self, drivers: Iterable[Any]) -> None:
        self.drivers = drivers

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("steward_browser_contexts_open", "Browser contexts open in this process.")
        gauge.add_metric([], sum(int(getattr(d, "contexts_open", 0)) for d in list(self.drivers)))
        yield gauge


class _DatabaseState(Collector):
    """Read at scrape time: what the queue and the people in the loop look like right now."""

    def __init__(self, steward: Any) -> None:
        self.steward = steward

    def collect(self) -> Iterator[Metric]:
        readable = GaugeMetricFamily(
            "steward_database_readable", "1 when the last scrape could read the queue and kill switches, else 0."
        )
        try:
            snapshot = self.steward.store.snapshot()
        except Exception:  # a scrape never fails: readiness says why
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        now = time.time()
        yield _gauge("steward_queue_depth", "Requests queued for a worker (halted ones included).", snapshot.queued)
        oldest = now - snapshot.oldest_queued_at if snapshot.oldest_queued_at is not None else 0.0
        yield _gauge("steward_queue_oldest_age_seconds", "Age of the oldest queued request (0: queue empty).",
                     max(0.0, oldest))
        yield _gauge("steward_approvals_waiting", "Requests awaiting a human approval.", snapshot.awaiting_approval)
        yield _gauge("steward_confirmations_waiting", "Requests awaiting the customer's confirmation.",
                     snapshot.awaiting_confirmation)
        switches = GaugeMetricFamily(
            "steward_kill_switches_engaged", "Engaged kill switches, by scope (1 per engaged scope).", labels=["scope"]
        )
        for scope in snapshot.kill_switches:
            switches.add_metric([scope], 1)
        yield switches
        yield _gauge("steward_kill_switch_scopes_engaged", "How many kill switches are engaged.",
                     len(snapshot.kill_switches))


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, doc)
    gauge.add_metric([], value)
    return gauge
