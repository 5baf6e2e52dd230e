"""Shared constants and helpers for the audit tests (imported by conftest and test modules)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from audit import open_engine
from audit.canonical import canonical_text
from audit.merkle import Frontier
from audit.models import ZERO_HASH, entry_body, entry_leaf
from audit.schema import entries_table, nodes_table

PG_URL = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# /work/shared sits beside the repository root: <repo>/../shared/testdata/rfc6962
RFC6962_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "rfc6962").resolve()


def pg_schema_url(schema: str) -> str:
    """PG_URL with every connection's search_path set to ``schema``."""
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


class PgSchemas:
    """Creates uniquely named PostgreSQL schemas and drops them all on close().

    Connecting fails loudly when the server is down: PostgreSQL tests never skip.
    """

    def __init__(self) -> None:
        self.admin = open_engine(PG_URL)
        self.names: list[str] = []

    def new(self, prefix: str = "t") -> str:
        """Create a schema; return a URL whose connections use it."""
        name = f"audit_{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        self.names.append(name)
        return pg_schema_url(name)

    def drop(self, name: str) -> None:
        """Drop one schema now."""
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.names.remove(name)

    def close(self) -> None:
        """Drop every schema created here."""
        try:
            with self.admin.begin() as conn:
                for name in self.names:
                    conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            self.admin.dispose()


_SQLITE_TRIGGERS = [
    f"{table}_{kind}"
    for table in ("audit_entries", "audit_tree_nodes", "audit_checkpoints")
    for kind in ("no_update", "no_delete", "append_only")
]


def tamper(engine: Engine, *statements: str) -> None:
    """Run ``statements`` behind the append-only triggers (dropped on SQLite, disabled on PostgreSQL)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in _SQLITE_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        else:
            for table in ("audit_entries", "audit_tree_nodes", "audit_checkpoints"):
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql in statements:
            conn.exec_driver_sql(sql)


def rewrite_history(engine: Engine, seq: int, payload: dict[str, Any]) -> None:
    """The strongest database attacker: change entry ``seq`` and recompute every later hash,
    prev_hash link and Merkle tree node, so the database is self-consistent again."""
    with engine.connect() as conn:
        rows = [list(r) for r in conn.exec_driver_sql(
            "SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash FROM audit_entries ORDER BY seq"
        ).all()]
    rows[seq][5] = canonical_text(payload)
    prev = rows[seq - 1][7] if seq else ZERO_HASH
    for r in rows[seq:]:
        r[6] = prev
        r[7] = prev = entry_leaf(entry_body(r[0], r[1], r[2], r[3], r[4], r[5], r[6])).hex()
    frontier, nodes = Frontier(), []
    for r in rows:
        for level, node in enumerate(frontier.push(bytes.fromhex(r[7])), start=1):
            nodes.append({"seq": r[0], "level": level, "hash": node})
    tamper(engine, "DELETE FROM audit_tree_nodes", f"DELETE FROM audit_entries WHERE seq >= {seq}")
    with engine.begin() as conn:
        conn.execute(entries_table.insert(), [dict(zip(_COLS, r, strict=True)) for r in rows[seq:]])
        conn.execute(nodes_table.insert(), nodes)


_COLS = ("seq", "ts", "type", "action_id", "actor", "payload", "prev_hash", "hash")
