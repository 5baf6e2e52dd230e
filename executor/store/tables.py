"""Tables of the executor: requests, kill switches and the policy rollout.

Times are epoch seconds (float) so ordering and lease arithmetic are the same
on SQLite and PostgreSQL. JSON columns hold the request's parameters, context,
decision, confirmation, approval and outcome.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["compensations", "kill_switches", "metadata", "policy_rollout", "requests", "rollback_batches"]

metadata = MetaData()

requests = Table(
    "steward_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("action", String(64), nullable=False),
    Column("target", String(64), nullable=True),
    Column("category", String(64), nullable=True),
    Column("requester", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("params", JSON, nullable=True),
    Column("params_hash", String(64), nullable=True),
    Column("context", JSON, nullable=False),
    Column("state", String(32), nullable=False),
    Column("action_class", String(32), nullable=True),
    Column("decision", JSON, nullable=True),
    Column("confirmation", JSON, nullable=True),
    Column("approval", JSON, nullable=True),
    Column("outcome", JSON, nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("catalog_version", String(64), nullable=True),
    Column("policy_version", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("queued_at", Float, nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("commit_started_at", Float, nullable=True),
    Column("commit_done_at", Float, nullable=True),
    # W3C trace context of the request's intake span (migration 0002): the worker resumes it.
    Column("trace_id", String(32), nullable=True),
    Column("traceparent", String(55), nullable=True),
    # Which rollout track decided it (migration 0003): null (no rollout), "shadow" (the active policy decided,
    # a candidate was evaluated beside it), "control" or "canary" (a canary ran: the active or the candidate
    # decided). ``policy_version`` is the sha256 of the policy that decided.
    Column("policy_rollout", String(16), nullable=True),
    UniqueConstraint("requester", "idempotency_key", name="uq_steward_requests_idempotency"),
)
Index("ix_steward_requests_state_queued", requests.c.state, requests.c.queued_at)
# Budget windows read (id, action) of some actions' requests since a time from this index alone (migration 0004).
Index("ix_steward_requests_window", requests.c.action, requests.c.created_at, requests.c.state,
      requests.c.requester, requests.c.id)

kill_switches = Table(
    "steward_kill_switches",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("operator", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("engaged_at", Float, nullable=False),
)

# Policy change control (migration 0003): at most two rows, by ``slot``.
# ``candidate``: a policy in shadow or canary (mode, percent); ``active``: the policy last promoted, which
# every server and worker loads instead of its policy file (``executor.reload``).
policy_rollout = Table(
    "steward_policy_rollout",
    metadata,
    Column("slot", String(16), primary_key=True),
    Column("mode", String(16), nullable=False),
    Column("percent", Float, nullable=False),
    Column("name", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source", Text, nullable=True),
    Column("operator", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("started_at", Float, nullable=False),
)

# Rollback (migration 0006, ``executor.rollback``): one row per rollback batch, and one per original request a
# rollback claimed. ``original_id`` is the primary key: a request is compensated at most once (a new batch may
# take over the claim only when the earlier compensation ended without changing anything).
rollback_batches = Table(
    "steward_rollback_batches",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("requester", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("since", Float, nullable=False),
    Column("until", Float, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("plan_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", Float, nullable=True),
)

compensations = Table(
    "steward_compensations",
    metadata,
    Column("original_id", String(40), primary_key=True),
    Column("batch_id", String(40), nullable=False),
    Column("compensation_id", String(40), nullable=True),
    Column("created_at", Float, nullable=False),
)
Index("ix_steward_compensations_batch", compensations.c.batch_id)
Index("ix_steward_compensations_compensation", compensations.c.compensation_id)
