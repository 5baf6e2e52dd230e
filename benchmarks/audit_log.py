"""The verification benchmark's fixture: a big, genuine log loaded in bulk.

On SQLite the rows are hashed exactly as ``AuditLog`` hashes them and inserted
with the append-only triggers briefly removed (``install_schema`` puts them
back); elsewhere ``append_many`` does the work. This is a fixture for
measuring verification, never a way to write a real log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from audit.canonical import canonical_text
from audit.checkpoint import DEFAULT_ORIGIN, CheckpointBody, Checkpointer
from audit.clock import format_ts
from audit.log import AuditLog
from audit.merkle import Frontier
from audit.models import ZERO_HASH, Event, entry_body, entry_leaf
from audit.note import Signer, sign_note
from audit.schema import install_schema

__all__ = ["build_log", "sample_event"]

_ACTIONS = ("issue_credit", "update_contact_email", "cancel_subscription", "lookup_account")


def sample_event(i: int) -> Event:
    """A realistic ``request.received``-sized event (about 400 bytes of JSON)."""
    return Event(
        type="request.received",
        actor=f"agent:bot-{i % 7}",
        action_id=f"req_{i:08d}",
        payload={
            "action": _ACTIONS[i % 4],
            "target": "billing_console",
            "params": {"account_id": f"ACC-{i % 1000000:06d}", "amount_cents": 100 + i % 5000,
                       "reason": "Late delivery refund"},
            "requester": f"agent:bot-{i % 7}",
            "context": {"conversation_id": f"conv-{i}", "account_tier": "pro", "agent_confidence": 0.93},
            "params_hash": f"{i:064x}",
        },
    )


def build_log(
    engine: Engine, entries: int, chunk: int = 50_000, signer: Signer | None = None
) -> AuditLog:
    """The benchmark fixture: ``entries`` genuine log entries, loaded in bulk.

    On SQLite the rows are hashed here exactly as ``AuditLog`` hashes them and
    inserted with the append-only triggers briefly removed (``install_schema``
    puts them back); elsewhere ``append_many`` does the work. This is a fixture
    for measuring verification, not a way to write a real log.
    """
    install_schema(engine)
    if engine.dialect.name != "sqlite":
        log = AuditLog(engine)
        for start in range(0, entries, chunk):
            log.append_many(sample_event(i) for i in range(start, min(start + chunk, entries)))
        if signer is not None:
            Checkpointer(log, signer).checkpoint()
        return log
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for name in _SQLITE_TRIGGERS:
            cur.execute(f"DROP TRIGGER IF EXISTS {name}")
        frontier, prev = Frontier(), ZERO_HASH
        start_ts = datetime(2025, 1, 1, tzinfo=UTC)
        for lo in range(0, entries, chunk):
            rows: list[tuple[Any, ...]] = []
            nodes: list[tuple[int, int, bytes]] = []
            for seq in range(lo, min(lo + chunk, entries)):
                e = sample_event(seq)
                ms = seq % 86_400_000  # one fixture entry per millisecond of 2025-01-01
                ts = f"2025-01-01T{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z"
                payload = canonical_text(e.payload)
                leaf = entry_leaf(entry_body(seq, ts, e.type, e.action_id, e.actor, payload, prev))
                for level, node in enumerate(frontier.push(leaf), start=1):
                    nodes.append((seq, level, node))
                rows.append((seq, ts, e.type, e.action_id, e.actor, payload, prev, prev := leaf.hex()))
            cur.execute("BEGIN IMMEDIATE")
            cur.executemany(f"INSERT INTO audit_entries VALUES ({', '.join('?' * 8)})", rows)
            cur.executemany("INSERT INTO audit_tree_nodes VALUES (?, ?, ?)", nodes)
            cur.execute("COMMIT")
        if signer is not None and entries:
            note = sign_note(CheckpointBody(DEFAULT_ORIGIN, entries, frontier.root()).text(), signer)
            cur.execute(
                "INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?)",
                (entries, frontier.root().hex(), DEFAULT_ORIGIN, format_ts(start_ts), note),
            )
        cur.close()
    finally:
        raw.close()
    install_schema(engine)  # the triggers come back
    return AuditLog(engine)


_SQLITE_TRIGGERS = [
    f"{t}_{k}" for t in ("audit_entries", "audit_tree_nodes", "audit_checkpoints")
    for k in ("no_update", "no_delete", "append_only")
]


