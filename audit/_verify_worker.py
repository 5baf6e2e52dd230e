"""Worker process for parallel verification: JSON lines on stdin and stdout.

Run as ``python -m audit._verify_worker`` by ``audit._parallel``; not an API.
The first line says where the log is (``db``, ``sizes``, ``level``); each
further line is one chunk ``[lo, hi]``, answered by one line of results, so
the parent hands the next chunk to whichever worker is free.
It talks to the database through the DB-API driver directly and imports only
the chain checker, so a worker is checking entries a few hundredths of a
second after it starts.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from audit._bodies import body_sql, entry_body, entry_leaf
from audit._chain import ChainChecker

__all__ = ["MMAP_PRAGMA", "check_chunk", "connect", "main"]

MMAP_PRAGMA = "PRAGMA mmap_size = 1073741824"  # SQLite: scan the file through a memory map
_BATCH = 16_384
_ROW = "SELECT seq, ts, type, action_id, actor, payload, prev_hash FROM audit_entries WHERE seq = ?"
_NODE_HASHES = (
    "SELECT hash FROM audit_tree_nodes WHERE seq >= ? AND seq < ? AND level <= ? ORDER BY seq, level"
)
_EVIDENCE = (
    "SELECT seq, payload FROM audit_entries WHERE type = 'evidence.stored' AND seq >= ? AND seq < ? ORDER BY seq"
)


def connect(db: dict[str, Any]) -> tuple[Any, str]:
    """A read-only DB-API connection inside one snapshot, and its parameter mark."""
    if db["dialect"] == "sqlite":
        conn = sqlite3.connect(f"file:{quote(db['path'])}?mode=ro", uri=True, isolation_level=None)
        conn.execute(MMAP_PRAGMA)
        conn.execute("BEGIN")  # deferred: one snapshot, no write lock
        return conn, "?"
    import psycopg  # only PostgreSQL workers pay for it

    pg = psycopg.connect(**db["connect"], autocommit=True)
    pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    return pg, "%s"


def exact_leaf(cursor: Any, mark: str, seq: int) -> bytes:
    """The leaf of entry ``seq`` from its canonical body built in Python (b"" if unreadable)."""
    cursor.execute(_ROW.replace("?", mark), (seq,))
    row = cursor.fetchone()
    try:
        return entry_leaf(entry_body(row[0], row[1], row[2], row[3], row[4], row[5], row[6]))
    except (TypeError, AttributeError):  # a field of the wrong type: it cannot match any hash
        return b""


def check_chunk(
    db: dict[str, Any], start: int, end: int, sizes: Sequence[int], level: int
) -> dict[str, Any]:
    """Verify entries start..end-1 in isolation (see ``audit._parallel``).

    Tree nodes above the chunk's own ``level`` span several chunks; the parent checks those.
    """
    conn, mark = connect(db)
    try:
        cursor = conn.cursor()
        rows_sql = (
            f"SELECT seq, prev_hash, hash, {body_sql(db['dialect'])} FROM audit_entries "
            "WHERE seq >= ? AND seq < ? ORDER BY seq"
        ).replace("?", mark)
        out: dict[str, Any] = {"ok": False, "frontiers": {}, "evidence": []}
        rows: list[tuple[Any, ...]] = []
        for lo in range(start, end, _BATCH):
            cursor.execute(rows_sql, (lo, min(lo + _BATCH, end)))
            rows.extend(cursor.fetchall())
        if len(rows) != end - start or rows[0][0] != start:
            return out
        checker = ChainChecker(start=start, prev_hash=rows[0][1], collect_nodes=True)
        cut = start
        for size in [*sorted(s for s in sizes if start < s <= end), end]:
            checker.feed_bodies(rows[cut - start : size - start], lambda seq: exact_leaf(cursor, mark, seq))
            out["frontiers"][size] = [h.hex() for h in checker.frontier.nodes]
            cut = size
        cursor.execute(_NODE_HASHES.replace("?", mark), (start, end, level))
        stored = [bytes(h) for (h,) in cursor.fetchall()]
        cursor.execute(_EVIDENCE.replace("?", mark), (start, end))
        out["evidence"] = [(int(seq), str(payload)) for seq, payload in cursor.fetchall()]
        cursor.close()
        out.update(
            ok=not checker.problems and checker.count == end and stored == checker.node_hashes,
            first_prev=rows[0][1], last_hash=rows[-1][2],
        )
        return out
    finally:
        conn.close()


def main() -> None:
    """Check each chunk the parent sends, answering each on a line of its own."""
    plan = json.loads(sys.stdin.readline())
    for line in sys.stdin:
        lo, hi = json.loads(line)
        result = {"start": lo, **check_chunk(plan["db"], lo, hi, plan["sizes"], plan["level"])}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()



if __name__ == "__main__":
    main()
