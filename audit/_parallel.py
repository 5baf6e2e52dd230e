"""Verify a big intact log on several cores.

The log is cut into chunks of 2^k entries; each chunk is a perfect subtree,
so a worker process can check its chunk's hashes, links and stored tree nodes
on its own and hand back just its subtree roots, its first prev_hash and last
hash, and its frontier at any checkpoint size inside it. The parent stitches
chunks together (links across boundaries, roots at every checkpoint) in
O(chunks · log n).

This path only ever says "intact". At the first irregularity it gives up and
the sequential verifier runs, which is the one that explains what is wrong
and names the first bad seq.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from audit._chain import ChainChecker, RootClaim
from audit.engine import open_engine, snapshot_connection
from audit.merkle import Frontier, fold_subtrees
from audit.models import ZERO_HASH

__all__ = ["CHUNK_LEVEL", "MIN_ENTRIES", "MMAP_PRAGMA", "check_chunk", "encode", "idle_cores", "parallel_verify"]

CHUNK_LEVEL = 16  # 65,536 entries per chunk
MIN_ENTRIES = 400_000  # below this, starting processes costs more than it saves
_BATCH = 16_384
MMAP_PRAGMA = "PRAGMA mmap_size = 1073741824"  # SQLite: scan the file through a memory map
_ROWS = (
    "SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash FROM audit_entries "
    "WHERE seq >= ? AND seq < ? ORDER BY seq"
)
_NODE_HASHES = (
    "SELECT hash FROM audit_tree_nodes WHERE seq >= ? AND seq < ? AND level <= ? ORDER BY seq, level"
)
_HIGH_NODES = "SELECT seq, level, hash FROM audit_tree_nodes WHERE level > ? ORDER BY seq, level"


def check_chunk(url: str, start: int, end: int, sizes: Sequence[int], level: int) -> dict[str, Any]:
    """Worker: verify entries start..end-1 in isolation (see the module docstring).

    Tree nodes above the chunk's own ``level`` span several chunks; the parent checks those.
    """
    engine = open_engine(url, poolclass=NullPool)
    try:
        with snapshot_connection(engine) as conn, conn.begin():
            cursor = conn.connection.cursor()
            mark = "%s" if engine.dialect.name == "postgresql" else "?"
            if engine.dialect.name == "sqlite":
                cursor.execute(MMAP_PRAGMA)
            out: dict[str, Any] = {"ok": False, "frontiers": {}, "evidence": []}
            rows: list[tuple[Any, ...]] = []
            for lo in range(start, end, _BATCH):
                cursor.execute(_ROWS.replace("?", mark), (lo, min(lo + _BATCH, end)))
                rows.extend(cursor.fetchall())
            if len(rows) != end - start or rows[0][0] != start:
                return out
            checker = ChainChecker(start=start, prev_hash=rows[0][6], collect_nodes=True)
            cut = start
            for size in [*sorted(s for s in sizes if start < s <= end), end]:
                checker.feed_rows(rows[cut - start : size - start])
                out["frontiers"][size] = list(checker.frontier.nodes)
                cut = size
            cursor.execute(_NODE_HASHES.replace("?", mark), (start, end, level))
            stored = [bytes(h) for (h,) in cursor.fetchall()]
            cursor.close()
        out["evidence"] = [(r[0], r[5]) for r in rows if r[2] == "evidence.stored"]
        out.update(
            ok=not checker.problems and checker.count == end and stored == checker.node_hashes,
            first_prev=rows[0][6], last_hash=rows[-1][7],
        )
        return out
    finally:
        engine.dispose()


def idle_cores() -> int:
    """Cores not busy with other work right now (CPU count minus the 1-minute load)."""
    cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return max(1, min(cpus, round(cpus - load)))


def _push_chunk(frontier: Frontier, nodes: Sequence[bytes], length: int) -> list[tuple[int, int, bytes]]:
    """Extend ``frontier`` by a chunk's perfect subtrees (largest first).

    Returns the nodes this completes above the chunk, as ``(seq, level, hash)``.
    """
    levels = [b for b in range(length.bit_length() - 1, -1, -1) if length >> b & 1]
    completed: list[tuple[int, int, bytes]] = []
    for level, node in zip(levels, nodes, strict=True):
        start = frontier.size
        for up, h in enumerate(frontier.push_subtree(node, level), start=level + 1):
            completed.append((start + (1 << level) - 1, up, h))
    return completed


def encode(part: dict[str, Any]) -> dict[str, Any]:
    part = dict(part)
    part["frontiers"] = {str(k): [h.hex() for h in v] for k, v in part["frontiers"].items()}
    return part


def _decode(part: dict[str, Any]) -> dict[str, Any]:
    part["frontiers"] = {int(k): [bytes.fromhex(h) for h in v] for k, v in part["frontiers"].items()}
    return part


def _run(
    url: str, plans: list[list[tuple[int, int]]], sizes: list[int], level: int
) -> dict[int, dict[str, Any]]:
    """Check chunks in worker processes (``python -m audit._verify_worker``), one plan each.

    Plain subprocesses rather than multiprocessing: nothing of the caller's
    ``__main__`` is re-imported, whatever script or REPL is running us.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    procs = []
    for plan in plans:
        proc = subprocess.Popen(
            [sys.executable, "-m", "audit._verify_worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"url": url, "chunks": plan, "sizes": sizes, "level": level}).encode())
        proc.stdin.close()
        procs.append(proc)
    results: dict[int, dict[str, Any]] = {}
    try:
        for proc in procs:
            assert proc.stdout is not None
            data = proc.stdout.read()
            if proc.wait() != 0:
                raise RuntimeError("a verification worker failed")
            for part in json.loads(data):
                results[part["start"]] = _decode(part)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    return results


def parallel_verify(
    engine: Engine,
    size: int,
    claims: Sequence[RootClaim],
    *,
    workers: int | None = None,
    chunk_level: int = CHUNK_LEVEL,
) -> tuple[int, list[int], list[tuple[int, str]]] | None:
    """Check entries 0..size-1 on several processes.

    Returns (entries, sizes of the claims that held, evidence rows) when
    everything is intact, or None when anything is irregular or the workers
    could not run (the caller then verifies sequentially).
    """
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    n_workers = max(1, min(workers or idle_cores(), 8))
    step = 1 << chunk_level
    chunks = [(lo, min(lo + step, size)) for lo in range(0, size, step)]
    sizes = sorted({c.size for c in claims})
    try:
        parts = _run(engine.url.render_as_string(hide_password=False),
                     [chunks[i::n_workers] for i in range(min(n_workers, len(chunks)))], sizes, chunk_level)
        with snapshot_connection(engine) as conn, conn.begin():
            stored = [(int(s), int(lv), bytes(h)) for s, lv, h in conn.exec_driver_sql(
                _HIGH_NODES.replace("?", "%s" if engine.dialect.name == "postgresql" else "?"),
                (chunk_level,),
            ).all()]
    except (OSError, RuntimeError, ValueError, SQLAlchemyError):
        return None
    high: list[tuple[int, int, bytes]] = []
    frontier, prev = Frontier(), ZERO_HASH
    held: list[int] = []
    evidence: list[tuple[int, str]] = []
    for lo, hi in chunks:
        part = parts.get(lo)
        if part is None or not part["ok"] or part["first_prev"] != prev:
            return None
        for claim in claims:
            if lo < claim.size <= hi:
                if fold_subtrees([*frontier.nodes, *part["frontiers"][claim.size]]) != claim.root:
                    return None
                held.append(claim.size)
        high.extend(_push_chunk(frontier, part["frontiers"][hi], hi - lo))
        prev = part["last_hash"]
        evidence.extend((int(seq), str(payload)) for seq, payload in part["evidence"])
    if any(c.size > size for c in claims) or high != stored:
        return None
    return size, held, evidence
