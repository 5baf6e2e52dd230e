"""``AuditLog``: append events, read them back, prove and verify them.

Appending takes the single-writer lock (SQLite: the ``BEGIN IMMEDIATE`` every
transaction from ``open_engine`` starts with; PostgreSQL: a transaction-scoped
advisory lock keyed on the entries table), reads the head (or builds on the
one its last commit left, which the insert guard checks: see ``audit._writer``),
and writes the new entries and the Merkle nodes they complete. seq is never taken from a
sequence, so concurrent appenders in any number of threads and processes keep
one gapless order. The O(log n) Merkle frontier of the head is cached and
checked against the head on every append, so a warm append hashes only its
own leaf and the nodes it completes.

Any failure to append raises ``AuditWriteError``: callers fail closed.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from audit import _tree
from audit._group import GroupCommit
from audit._writer import Prepared, Writer
from audit.canonical import canonical_text
from audit.clock import Clock, SystemClock
from audit.engine import snapshot_connection
from audit.errors import (
    AuditError,
    AuditPayloadError,
    AuditReadError,
    AuditStorageError,
    AuditWriteError,
    CanonicalizationError,
    ProofUnavailableError,
    one_line,
)
from audit.models import (
    AuditEntry,
    Checkpoint,
    ConsistencyProof,
    Event,
    InclusionProof,
    VerifyReport,
)
from audit.redact import RedactionStep
from audit.schema import checkpoints_table, entries_table

if TYPE_CHECKING:
    from audit.evidence import EvidenceStore
    from audit.note import Verifier

__all__ = ["MAX_PAYLOAD_BYTES", "AuditLog"]

MAX_PAYLOAD_BYTES = 1_000_000
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _wrap_write_error(exc: BaseException) -> BaseException:
    if isinstance(exc, AuditWriteError):
        new: AuditWriteError = type(exc)(str(exc))
    else:
        new = AuditStorageError(f"audit write failed: {type(exc).__name__}: {one_line(exc)}")
    new.__cause__ = exc
    return new


class AuditLog:
    """The append-only, hash-chained, Merkle-tree audit log stored in ``engine``."""

    def __init__(
        self,
        engine: Engine,
        *,
        redactor: RedactionStep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._redactor = redactor
        self._clock: Clock = clock or SystemClock()
        self._writer = Writer(engine, self._clock)
        self._group: GroupCommit[Prepared, AuditEntry] = GroupCommit(
            self._writer.write_own, _wrap_write_error,
            leaders=2 if engine.dialect.name == "postgresql" else 1,  # PostgreSQL pipelines batches
        )
        weakref.finalize(self, self._writer.close)

    def close(self) -> None:
        """Return any pooled connection the log still holds (the engine stays open)."""
        self._writer.close()

    @property
    def engine(self) -> Engine:
        """The engine the log lives in."""
        return self._engine

    @property
    def clock(self) -> Clock:
        """The clock that stamps entries."""
        return self._clock

    # -- writing -------------------------------------------------------------------------

    def append(
        self,
        type: str,
        *,
        actor: str,
        action_id: str | None = None,
        payload: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> AuditEntry:
        """Append one event and return it once committed (or inside ``conn``'s transaction).

        With ``conn`` the event joins the caller's open transaction, so a state
        change and its audit event commit or roll back together.
        """
        item = self._prepare(type, actor, action_id, payload)
        if conn is None:
            return self._group.submit(item)
        try:
            return self._writer.write_in(conn, [item])[0]
        except Exception as exc:
            raise _wrap_write_error(exc) from exc

    def append_many(
        self, events: Iterable[Event], *, conn: Connection | None = None
    ) -> list[AuditEntry]:
        """Append several events atomically, in order, under one lock."""
        items = [self._prepare(e.type, e.actor, e.action_id, e.payload) for e in events]
        if not items:
            return []
        try:
            if conn is None:
                return self._writer.write_own(items)
            return self._writer.write_in(conn, items)
        except Exception as exc:
            raise _wrap_write_error(exc) from exc

    def _prepare(
        self, type_: str, actor: str, action_id: str | None, payload: dict[str, Any] | None
    ) -> Prepared:
        if not isinstance(type_, str) or len(type_) > 100 or not _TYPE_RE.match(type_):
            raise AuditPayloadError(f"event type {type_!r} is not a dotted name like request.received")
        if not isinstance(actor, str) or not actor.strip() or len(actor) > 200 or "\x00" in actor:
            raise AuditPayloadError("actor must be a non-empty string of at most 200 characters, without NUL")
        if action_id is not None and (
            not isinstance(action_id, str) or not action_id or len(action_id) > 200 or "\x00" in action_id
        ):
            raise AuditPayloadError(
                "action_id must be None or a non-empty string of at most 200 characters, without NUL"
            )
        data: Any = {} if payload is None else payload
        if not isinstance(data, dict):
            raise AuditPayloadError(f"payload must be a dict, not {type(data).__name__}")
        try:
            if self._redactor is not None:
                data = self._redactor(data)
            payload_text = canonical_text(data)
            # encoding also refuses lone surrogates, which ASCII text cannot hold
            size = len(payload_text) if payload_text.isascii() else len(payload_text.encode("utf-8"))
        except (CanonicalizationError, UnicodeEncodeError) as exc:
            raise AuditPayloadError(f"payload cannot be logged: {exc}") from exc
        except AuditError:
            raise
        except Exception as exc:  # a redaction step failed: do not write unredacted data
            raise AuditPayloadError(f"redaction failed: {type(exc).__name__}: {exc}") from exc
        if size > MAX_PAYLOAD_BYTES:
            raise AuditPayloadError(f"payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}")
        return Prepared(type_, action_id, actor, payload_text)

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with snapshot_connection(self._engine) as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise AuditReadError(f"reading the audit log failed: {one_line(exc)}") from exc

    def size(self) -> int:
        """Number of entries (max seq + 1)."""
        with self._reading() as conn:
            top = conn.execute(select(func.max(entries_table.c.seq))).scalar()
        return 0 if top is None else int(top) + 1

    def entries(
        self,
        action_id: str | None = None,
        after_seq: int | None = None,
        limit: int | None = None,
        types: Iterable[str] | None = None,
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> list[AuditEntry]:
        """Entries in seq order, filtered by action, seq, type and ts window [since, until)."""
        c = entries_table.c
        q = select(entries_table).order_by(c.seq)
        if action_id is not None:
            q = q.where(c.action_id == action_id)
        if after_seq is not None:
            q = q.where(c.seq > after_seq)
        if types is not None:
            q = q.where(c.type.in_(list(types)))
        if since is not None:
            q = q.where(c.ts >= since)
        if until is not None:
            q = q.where(c.ts < until)
        if limit is not None:
            q = q.limit(limit)
        with self._reading() as conn:
            rows = conn.execute(q).all()
        return [_to_entry(r) for r in rows]

    def seq_range(self, action_id: str) -> tuple[int, int] | None:
        """The first and last seq of ``action_id``'s entries (one indexed aggregate), or None."""
        c = entries_table.c
        with self._reading() as conn:
            first, last = conn.execute(select(func.min(c.seq), func.max(c.seq)).where(c.action_id == action_id)).one()
        return None if first is None else (int(first), int(last))

    def get(self, seq: int) -> AuditEntry:
        """The entry at ``seq``; raises AuditReadError when there is none."""
        with self._reading() as conn:
            row = conn.execute(select(entries_table).where(entries_table.c.seq == seq)).first()
        if row is None:
            raise AuditReadError(f"no audit entry with seq {seq}")
        return _to_entry(row)

    def root(self, size: int | None = None) -> bytes:
        """Merkle root of the first ``size`` entries (default: all)."""
        with self._reading() as conn:
            n = _current_size(conn) if size is None else size
            return _tree.root_at(_tree.sa_reader(conn), n)

    def inclusion_proof(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        """Proof that entry ``seq`` is in the tree of ``tree_size`` entries (default: all)."""
        with self._reading() as conn:
            n = _current_size(conn) if tree_size is None else tree_size
            if n > _current_size(conn):
                raise ProofUnavailableError(f"the log has fewer than {n} entries")
            read = _tree.sa_reader(conn)
            path = _tree.inclusion_path(read, seq, n)
            leaf = _tree.fetch_subtrees(read, [(0, seq)])[(0, seq)]
            root = _tree.root_at(read, n)
        return InclusionProof(
            seq=seq, tree_size=n, leaf_hash=leaf.hex(), root=root.hex(), path=[p.hex() for p in path]
        )

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the first ``new_size`` entries extend the first ``old_size``."""
        with self._reading() as conn:
            n = _current_size(conn) if new_size is None else new_size
            if n > _current_size(conn):
                raise ProofUnavailableError(f"the log has fewer than {n} entries")
            read = _tree.sa_reader(conn)
            path = _tree.consistency_path(read, old_size, n)
            old_root, new_root = _tree.root_at(read, old_size), _tree.root_at(read, n)
        return ConsistencyProof(
            old_size=old_size, new_size=n, old_root=old_root.hex(), new_root=new_root.hex(),
            path=[p.hex() for p in path],
        )

    def checkpoints(self) -> list[Checkpoint]:
        """Every stored checkpoint, smallest first."""
        with self._reading() as conn:
            rows = conn.execute(select(checkpoints_table).order_by(checkpoints_table.c.size)).all()
        return [_to_checkpoint(r) for r in rows]

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest stored checkpoint, if any."""
        t = checkpoints_table
        with self._reading() as conn:
            row = conn.execute(select(t).order_by(t.c.size.desc()).limit(1)).first()
        return None if row is None else _to_checkpoint(row)

    def verify(
        self,
        evidence: EvidenceStore | None = None,
        *,
        verifier: Verifier | None = None,
        trusted: Sequence[str | tuple[str, str]] = (),
        workers: int | None = None,
    ) -> VerifyReport:
        """Check the whole log: chain, tree, checkpoints (signatures with ``verifier``), evidence.

        ``trusted`` holds signed checkpoint notes kept elsewhere (off-host, a
        witness), each a note or a ``(label, note)`` pair; each must be a
        prefix of this log. ``workers``: see ``audit.verify.verify_live``.
        """
        from audit.verify import verify_live

        return verify_live(
            self._engine, evidence=evidence, verifier=verifier, trusted=trusted, workers=workers
        )


def _current_size(conn: Connection) -> int:
    top = conn.execute(select(func.max(entries_table.c.seq))).scalar()
    return 0 if top is None else int(top) + 1


def _to_entry(row: Any) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        seq=int(m["seq"]), ts=m["ts"], type=m["type"], action_id=m["action_id"], actor=m["actor"],
        payload=json.loads(m["payload"]), prev_hash=m["prev_hash"], hash=m["hash"],
    )


def _to_checkpoint(row: Any) -> Checkpoint:
    m = row._mapping
    return Checkpoint(
        origin=m["origin"], size=int(m["size"]), root=m["root"], signed_at=m["signed_at"], note=m["note"]
    )
