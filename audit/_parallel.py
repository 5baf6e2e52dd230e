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

import contextlib
import json
import os
import selectors
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from audit._bodies import ZERO_HASH
from audit._chain import RootClaim
from audit.engine import snapshot_connection
from audit.merkle import Frontier, fold_subtrees

__all__ = ["CHUNK_LEVEL", "MIN_ENTRIES", "cores", "db_spec", "parallel_verify"]

CHUNK_LEVEL = 15  # 32,768 entries per chunk: fine enough that two workers end within ~3% of each other at 1M
MIN_ENTRIES = 400_000  # below this, starting processes costs more than it saves
_HIGH_NODES = "SELECT seq, level, hash FROM audit_tree_nodes WHERE level > ? ORDER BY seq, level"


def db_spec(engine: Engine) -> dict[str, Any] | None:
    """How a worker reaches the database with the DB-API driver alone (None: it cannot)."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        return None if path in (None, "", ":memory:") or path.startswith("file:") else {
            "dialect": "sqlite", "path": str(Path(path).resolve())
        }
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        _, params = engine.dialect.create_connect_args(engine.url)
        params = {k: v for k, v in params.items() if isinstance(v, str | int | float | bool)}
        return {"dialect": "postgresql", "connect": params}
    return None


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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


def _decode(part: dict[str, Any]) -> dict[str, Any]:
    part["frontiers"] = {int(k): [bytes.fromhex(h) for h in v] for k, v in part["frontiers"].items()}
    return part


def _run(
    db: dict[str, Any], chunks: list[tuple[int, int]], workers: int, sizes: list[int], level: int
) -> dict[int, dict[str, Any]]:
    """Check chunks in worker processes (``python -m audit._verify_worker``).

    Each worker gets the next chunk when it answers the last one, so a worker
    on a slower core (shared machines) or with the short last chunk simply
    takes fewer. Plain subprocesses rather than multiprocessing: nothing of
    the caller's ``__main__`` is re-imported, whatever script or REPL is
    running us.
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    todo = list(reversed(chunks))  # popped from the end: in seq order
    header = json.dumps({"db": db, "sizes": sizes, "level": level}).encode() + b"\n"
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[int, dict[str, Any]] = {}
    try:
        with selectors.DefaultSelector() as sel:
            for _ in range(min(workers, len(chunks))):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "audit._verify_worker"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                )
                procs.append(proc)
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(header)
                if _hand_out(proc, todo):
                    sel.register(proc.stdout, selectors.EVENT_READ, proc)
            while len(results) < len(chunks):
                if not sel.get_map():  # every worker is done, yet a chunk has no answer
                    raise RuntimeError("a verification worker answered the wrong chunk")
                for key, _ in sel.select():
                    proc = key.data
                    line = proc.stdout.readline()
                    if not line:
                        raise RuntimeError("a verification worker failed")
                    part = _decode(json.loads(line))
                    results[part["start"]] = part
                    if not _hand_out(proc, todo):
                        sel.unregister(proc.stdout)  # it exits now; its end of file is not a failure
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError("a verification worker failed")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None and not pipe.closed:
                    with contextlib.suppress(OSError):  # a dead worker's pipe
                        pipe.close()
    return results


def _hand_out(proc: subprocess.Popen[bytes], todo: list[tuple[int, int]]) -> bool:
    """Send ``proc`` its next chunk; or close its input when none is left (it then exits) and say so."""
    assert proc.stdin is not None
    if not todo:
        proc.stdin.close()
        return False
    proc.stdin.write(json.dumps(todo.pop()).encode() + b"\n")
    proc.stdin.flush()
    return True


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
    db = db_spec(engine)
    if db is None:
        return None
    n_workers = max(1, min(workers or cores(), 8))
    step = 1 << chunk_level
    chunks = [(lo, min(lo + step, size)) for lo in range(0, size, step)]
    sizes = sorted({c.size for c in claims})
    try:
        parts = _run(db, chunks, n_workers, sizes, chunk_level)
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
