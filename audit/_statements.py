"""The append path's SQL: multi-row INSERTs for DB-API cursors and for the libpq pipeline.

A batch's rows go in a few multi-row statements, whatever the batch size:
DB-API statements of up to 100 rows, and for the pipeline prepared
statements of up to 16 rows (so at most 16 statement shapes per table stay
prepared on the server).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from typing import Any

from audit import _pg, _tree

__all__ = ["insert_statements", "pipeline_reader", "prepared_inserts"]

_ENTRY_COLS = "seq, ts, type, action_id, actor, payload, prev_hash, hash"
_NODE_COLS = "seq, level, hash"
_ROWS = 100  # rows per DB-API INSERT
_CHUNK = 16  # rows per prepared INSERT


@functools.lru_cache(maxsize=64)
def _prepared_insert(table: str, cols: str, width: int, count: int) -> bytes:
    rows = (
        "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(count)
    )
    return f"INSERT INTO {table} ({cols}) VALUES {', '.join(rows)}".encode()


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, cols: str, mark: str, width: int, count: int) -> str:
    row = "(" + ", ".join([mark] * width) + ")"
    return f"INSERT INTO {table} ({cols}) VALUES {', '.join([row] * count)}"


def _tables(
    entry_rows: list[tuple[Any, ...]], node_rows: list[tuple[Any, ...]]
) -> tuple[tuple[str, str, list[tuple[Any, ...]]], ...]:
    return ("audit_entries", _ENTRY_COLS, entry_rows), ("audit_tree_nodes", _NODE_COLS, node_rows)


def insert_statements(
    mark: str, entry_rows: list[tuple[Any, ...]], node_rows: list[tuple[Any, ...]]
) -> list[tuple[str, list[Any]]]:
    """DB-API INSERTs (parameter mark ``?`` or ``%s``) of the entries, then the tree nodes."""
    out: list[tuple[str, list[Any]]] = []
    for table, cols, rows in _tables(entry_rows, node_rows):
        for start in range(0, len(rows), _ROWS):
            chunk = rows[start : start + _ROWS]
            out.append((_insert_sql(table, cols, mark, len(chunk[0]), len(chunk)), [v for r in chunk for v in r]))
    return out


def prepared_inserts(entry_rows: list[tuple[Any, ...]], node_rows: list[tuple[Any, ...]]) -> list[_pg.Statement]:
    """The same rows as pipeline statements: ``$n`` parameters, values as text."""
    out: list[_pg.Statement] = []
    for table, cols, rows in _tables(entry_rows, node_rows):
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            sql = _prepared_insert(table, cols, len(chunk[0]), len(chunk))
            out.append((sql, [_pg.text_param(v) for r in chunk for v in r]))
    return out


def pipeline_reader(pipe: _pg.Pipeline) -> _tree.Reader:
    """A Reader inside the pipeline's open transaction (tree nodes, on a frontier cache miss)."""

    def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        numbers = itertools.count(1)
        numbered = re.sub(r"\?", lambda _: f"${next(numbers)}", sql).encode()
        ticket = pipe.send([(numbered, [_pg.text_param(p) for p in params])], sync=False)
        return _pg.rows(pipe.wait(ticket)[0])

    return run
