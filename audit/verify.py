"""Verify the live log: chain, Merkle tree table, signed checkpoints, evidence files.

Everything is read in one snapshot (a deferred transaction on SQLite, which
does not block appenders; REPEATABLE READ on PostgreSQL). Checkpoints are read
first, so every checkpoint seen covers entries that are in the snapshot.
Entries are streamed in batches through ``ChainChecker``; the Merkle nodes
stored at append time are compared with the ones recomputed from the
entries, which also pins down a rewrite that kept the hash chain consistent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from audit._bodies import body_sql
from audit._chain import ChainChecker, RootClaim
from audit._parallel import CHUNK_LEVEL, MIN_ENTRIES, cores, parallel_verify
from audit._verify_worker import MMAP_PRAGMA, exact_leaf
from audit.checkpoint import open_checkpoint
from audit.engine import snapshot_connection
from audit.errors import SignatureError, one_line
from audit.evidence import EvidenceStore
from audit.models import VerifyReport
from audit.note import Verifier

__all__ = ["check_notes", "evidence_refs_in", "new_checker", "report_from", "verify_live"]

BATCH = 20_000
_ENTRIES = "SELECT seq, prev_hash, hash, {body} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT {batch}"
_EVIDENCE = "SELECT seq, payload FROM audit_entries WHERE type = 'evidence.stored' AND seq < ? ORDER BY seq"
_NODE_HASHES = "SELECT hash FROM audit_tree_nodes WHERE seq >= ? AND seq <= ? ORDER BY seq, level"
_NODES = "SELECT seq, level, hash FROM audit_tree_nodes WHERE seq >= ? AND seq <= ? ORDER BY seq, level"
_TOP_NODE = "SELECT MAX(seq) FROM audit_tree_nodes"


def check_notes(
    notes: Iterable[tuple[str, str, tuple[int, str, str] | None]],
    verifier: Verifier | None,
    origin: str | None = None,
) -> tuple[list[RootClaim], list[tuple[RootClaim, str]]]:
    """Open each ``(label, note, expected (size, root hex, origin) or None)``.

    Returns the good claims and the failures: bad signatures, malformed notes,
    rows that differ from their note, another origin, and two different roots
    signed for one size (a fork).
    """
    claims: list[RootClaim] = []
    failures: list[tuple[RootClaim, str]] = []
    roots: dict[int, bytes] = {}
    for label, note, expected in notes:
        try:
            body = open_checkpoint(note, verifier)
        except SignatureError as exc:
            size = expected[0] if expected else _size_hint(note)
            failures.append((RootClaim(size if size is not None else -1, b"", label), f"{label}: {exc}"))
            continue
        claim = RootClaim(body.size, body.root, label)
        if expected is not None and expected != (body.size, body.root.hex(), body.origin):
            failures.append((claim, f"{label}: stored size/root/origin differ from the signed note"))
            continue
        origin = origin or body.origin
        if body.origin != origin:
            failures.append((claim, f"{label}: origin {body.origin!r} is not this log's ({origin!r})"))
            continue
        if body.size in roots and roots[body.size] != body.root:
            failures.append((claim, f"{label}: a second, different root signed for size {body.size} (forked log)"))
        roots.setdefault(body.size, body.root)
        claims.append(claim)
    return claims, failures


def new_checker(
    claims: list[RootClaim], failures: list[tuple[RootClaim, str]], *, collect_nodes: bool = False
) -> ChainChecker:
    """A ChainChecker with the claims to check and the note failures already recorded."""
    checker = ChainChecker(claims=claims, collect_nodes=collect_nodes)
    for claim, message in failures:
        checker.blame_claim(claim, message)
    return checker


def _size_hint(note: str) -> int | None:
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else None


def evidence_refs_in(seq: int, payload_text: str) -> tuple[int, str, int | None] | None:
    """``(seq, sha256, size)`` from an ``evidence.stored`` payload, if well-formed."""
    try:
        payload = json.loads(payload_text)
    except ValueError:
        return None
    sha = payload.get("sha256") if isinstance(payload, dict) else None
    if not isinstance(sha, str):
        return None
    size = payload.get("size")
    return seq, sha, size if isinstance(size, int) else None


def report_from(
    checker: ChainChecker, *, signatures_checked: bool, evidence_checked: int = 0,
    extra_problems: Sequence[str] = (),
) -> VerifyReport:
    """Turn a finished checker into a VerifyReport."""
    problems = list(checker.problems) + list(extra_problems)
    if checker.extra_problems:
        problems.append(f"... and {checker.extra_problems} more")
    claims = [c for c in checker.claims if c.size > 0]
    latest = max((c.size for c in claims), default=None)
    return VerifyReport(
        ok=not problems,
        entries=checker.count,
        first_bad_seq=checker.first_bad_seq,
        first_bad_checkpoint=checker.first_bad_claim,
        problems=problems,
        checkpoints=len(checker.good_claim_sizes),
        latest_checkpoint=latest,
        unsigned_entries=max(checker.count - (latest or 0), 0),
        signatures_checked=signatures_checked,
        evidence_checked=evidence_checked,
    )


def _node_keys(first: int, last: int) -> list[tuple[int, int]]:
    """(seq, level) of the interior nodes completed by leaves first..last, in storage order."""
    keys = []
    for seq in range(first, last + 1):
        level, m = 1, seq
        while m & 1:
            keys.append((seq, level))
            level, m = level + 1, m >> 1
    return keys


def _compare_nodes(
    checker: ChainChecker, first: int, last: int, stored: list[tuple[Any, ...]],
    mismatches: list[tuple[int, int]],
) -> None:
    computed = dict(zip(_node_keys(first, last), checker.node_hashes, strict=False))
    have = {(int(s), int(lvl)): bytes(h) for s, lvl, h in stored}
    for key in sorted(computed.keys() | have.keys()):
        if computed.get(key) != have.get(key):
            mismatches.append(key)


def verify_live(
    engine: Engine,
    *,
    evidence: EvidenceStore | None = None,
    verifier: Verifier | None = None,
    trusted: Sequence[str | tuple[str, str]] = (),
    workers: int | None = None,
    chunk_level: int = CHUNK_LEVEL,
) -> VerifyReport:
    """Verify the log stored in ``engine`` (see the module docstring).

    ``trusted`` holds notes kept elsewhere (off-host, a witness), each a note
    or a ``(label, note)`` pair; each must be a prefix of this log.
    ``workers``: None checks big logs (>= 400,000 entries) on every core this
    process may use (when there are at least two) and small ones in-process; 1
    never uses other processes; N > 1 always does.
    """
    checker = ChainChecker()
    refs: list[tuple[int, str, int | None]] = []
    node_mismatches: list[tuple[int, int]] = []
    extra: list[str] = []
    try:
        with snapshot_connection(engine) as conn, conn.begin():
            cursor = conn.connection.cursor()
            mark = "%s" if engine.dialect.name == "postgresql" else "?"

            def read(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
                cursor.execute(sql.replace("?", mark), tuple(params))
                return list(cursor.fetchall())

            if engine.dialect.name == "sqlite":
                cursor.execute(MMAP_PRAGMA)  # long scans read through a memory map, not copies
            rows = read("SELECT size, root, origin, note FROM audit_checkpoints ORDER BY size")
            notes: list[tuple[str, str, tuple[int, str, str] | None]] = [
                (f"checkpoint {r[0]}", r[3], (int(r[0]), r[1], r[2])) for r in rows
            ]
            notes += [
                (t[0], t[1], None) if isinstance(t, tuple) else (f"trusted checkpoint {i + 1}", t, None)
                for i, t in enumerate(trusted)
            ]
            claims, failures = check_notes(notes, verifier)
            top_seq, top_node = read("SELECT MAX(seq) FROM audit_entries")[0][0], read(_TOP_NODE)[0][0]
            size = 0 if top_seq is None else int(top_seq) + 1
            auto = workers is None and size >= MIN_ENTRIES and cores() > 1
            wanted = auto or (workers is not None and workers > 1)
            if wanted and not failures and (top_node is None or int(top_node) < size):
                fast = parallel_verify(engine, size, claims, workers=workers, chunk_level=chunk_level)
                if fast is not None:
                    cursor.close()
                    return _fast_report(fast, claims, evidence, verifier)
            checker = new_checker(claims, failures, collect_nodes=True)
            last = -1
            sql = _ENTRIES.format(body=body_sql(engine.dialect.name), batch=BATCH)
            while True:
                batch = read(sql, [last])
                if not batch:
                    break
                checker.feed_bodies(batch, lambda seq: exact_leaf(cursor, mark, seq))
                first, last = batch[0][0], batch[-1][0]
                if checker.node_hashes != [bytes(h) for (h,) in read(_NODE_HASHES, [first, last])]:
                    _compare_nodes(checker, first, last, read(_NODES, [first, last]), node_mismatches)
                checker.node_hashes.clear()
            for seq, payload in read(_EVIDENCE, [last + 1]):
                if ref := evidence_refs_in(seq, payload):
                    refs.append(ref)
            if top_node is not None and int(top_node) >= checker.count:
                checker.blame(
                    checker.count,
                    f"seq {checker.count}: missing; the tree table has nodes up to seq {top_node} "
                    "(entries were removed from the end)",
                )
            cursor.close()
    except SQLAlchemyError as exc:
        return VerifyReport(ok=False, entries=checker.count, problems=[f"cannot read the log: {one_line(exc)}"])
    checker.finish()
    _judge_nodes(checker, node_mismatches, extra)
    checked = _check_evidence(refs, evidence, extra)
    return report_from(
        checker, signatures_checked=verifier is not None, evidence_checked=checked, extra_problems=extra
    )


def _fast_report(
    fast: tuple[int, list[int], list[tuple[int, str]]],
    claims: Sequence[RootClaim],
    evidence: EvidenceStore | None,
    verifier: Verifier | None,
) -> VerifyReport:
    """The report for a log the parallel path found intact (evidence still checked here)."""
    size, held, rows = fast
    refs = [ref for seq, payload in rows if (ref := evidence_refs_in(seq, payload))]
    extra: list[str] = []
    checked = _check_evidence(refs, evidence, extra)
    latest = max((c.size for c in claims), default=None)
    return VerifyReport(
        ok=not extra, entries=size, problems=extra, checkpoints=len(held), latest_checkpoint=latest,
        unsigned_entries=size - (latest or 0), signatures_checked=verifier is not None,
        evidence_checked=checked,
    )


def _judge_nodes(checker: ChainChecker, mismatches: list[tuple[int, int]], extra: list[str]) -> None:
    if not mismatches:
        return
    seq, level = mismatches[0]
    first_leaf = seq + 1 - (1 << level)
    if checker.covered(seq):
        extra.append(
            f"tree table: node (level {level}) completed at seq {seq} is wrong but the entries match "
            "a signed checkpoint; inclusion proofs from this database will fail"
        )
    elif checker.first_bad_seq is None:
        checker.blame(
            first_leaf,
            f"seq {first_leaf}: entries in seq {first_leaf}..{seq} differ from what was appended "
            "(their Merkle node no longer matches)",
        )
    if len(mismatches) > 1:
        extra.append(f"tree table: {len(mismatches)} nodes differ from the entries")


def _is_sha(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _check_evidence(
    refs: list[tuple[int, str, int | None]], store: EvidenceStore | None, extra: list[str]
) -> int:
    if store is None:
        return 0
    checked = 0
    for seq, sha, _size in refs:
        checked += 1
        if not _is_sha(sha):
            extra.append(f"seq {seq}: evidence reference {sha!r} is not a sha256")
        elif not store.exists(sha):
            extra.append(f"seq {seq}: evidence {sha} is missing from the evidence store")
        elif not store.verify(sha):
            extra.append(f"seq {seq}: evidence {sha} was altered (its content no longer hashes to its name)")
    return checked
