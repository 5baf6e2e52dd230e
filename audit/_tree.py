"""The persisted Merkle tree: roots and proofs from stored subtree hashes.

Level 0 of the tree is the ``hash`` column of ``audit_entries``; every complete
interior node is a row of ``audit_tree_nodes`` keyed by the seq of the leaf
that completed it and its level (node ``(level, index)`` completes at leaf
``((index + 1) << level) - 1``). A root or a proof needs O(log n) of those
hashes, fetched in at most two queries.

Queries go through a ``Reader`` (SQL with ``?`` placeholders -> rows), so the
same code serves a SQLAlchemy connection and the raw DB-API cursor of the
append hot path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection

from audit.errors import ProofUnavailableError
from audit.merkle import (
    Frontier,
    consistency_ranges,
    fold_subtrees,
    inclusion_ranges,
    subtree_nodes,
)

__all__ = [
    "Reader",
    "completing_seq",
    "consistency_path",
    "cursor_reader",
    "fetch_subtrees",
    "frontier_at",
    "inclusion_path",
    "no_reads",
    "root_at",
    "sa_reader",
]

_Node = tuple[int, int]  # (level, index)


class Reader(Protocol):
    """Run one query written with ``?`` placeholders and return all rows."""

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


def _adapt(sql: str, dialect: str) -> str:
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def sa_reader(conn: Connection) -> Reader:
    """A Reader over a SQLAlchemy connection (inside its current transaction)."""
    dialect = conn.dialect.name

    def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.exec_driver_sql(_adapt(sql, dialect), tuple(params)).all()]

    return run


def cursor_reader(cursor: Any, dialect: str) -> Reader:
    """A Reader over a raw DB-API cursor."""

    def run(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor.execute(_adapt(sql, dialect), tuple(params))
        return [tuple(r) for r in cursor.fetchall()]

    return run


def no_reads(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """A Reader for callers that hold every node they need: any read is a bug."""
    raise AssertionError(f"unexpected tree read: {sql}")


def completing_seq(level: int, index: int) -> int:
    """The seq of the leaf whose append completed node ``(level, index)``."""
    return ((index + 1) << level) - 1


def fetch_subtrees(read: Reader, wanted: Iterable[_Node]) -> dict[_Node, bytes]:
    """Hashes of the perfect subtrees ``wanted``; raises ProofUnavailableError if any is missing."""
    nodes = set(wanted)
    out: dict[_Node, bytes] = {}
    leaves = sorted(i for lvl, i in nodes if lvl == 0)
    if leaves:
        marks = ",".join("?" * len(leaves))
        for seq, hex_hash in read(f"SELECT seq, hash FROM audit_entries WHERE seq IN ({marks})", leaves):
            try:
                out[(0, int(seq))] = bytes.fromhex(hex_hash)
            except ValueError:
                continue  # a damaged hash is reported as missing below
    keys = {(completing_seq(lvl, i), lvl) for lvl, i in nodes if lvl > 0}
    if keys:
        # "seq IN (...)" uses the primary key on both databases; other levels completed
        # by the same leaves come back too and are skipped.
        seqs = sorted({seq for seq, _ in keys})
        marks = ",".join("?" * len(seqs))
        sql = f"SELECT seq, level, hash FROM audit_tree_nodes WHERE seq IN ({marks})"
        for seq, level, node in read(sql, seqs):
            if (int(seq), int(level)) in keys:
                out[(int(level), int(seq) >> int(level))] = bytes(node)
    missing = nodes - out.keys()
    if missing:
        level, index = min(missing)
        raise ProofUnavailableError(
            f"tree node (level {level}, index {index}) is missing: the log is shorter than asked "
            "or its tree table is damaged"
        )
    return out


def _range_hashes(read: Reader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    parts = [subtree_nodes(a, b) for a, b in ranges]
    store = fetch_subtrees(read, (n for p in parts for n in p))
    return [fold_subtrees([store[n] for n in p]) for p in parts]


def frontier_at(read: Reader, size: int) -> Frontier:
    """The frontier (perfect subtree roots) of the first ``size`` entries."""
    nodes = subtree_nodes(0, size)
    store = fetch_subtrees(read, nodes)
    return Frontier(size, [store[n] for n in nodes])


def root_at(read: Reader, size: int) -> bytes:
    """Merkle root of the first ``size`` entries."""
    return frontier_at(read, size).root()


def inclusion_path(read: Reader, index: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` entries."""
    return _range_hashes(read, inclusion_ranges(index, size))


def consistency_path(read: Reader, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 consistency proof from ``old_size`` to ``new_size`` entries."""
    return _range_hashes(read, consistency_ranges(old_size, new_size))
