"""Signed checkpoints: the log's size and Merkle root, signed, stored twice.

A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint)
body ``<origin>\\n<size>\\n<base64 root>\\n`` in a signed note. Each one goes
into the append-only ``audit_checkpoints`` table *and* into a file in
``out_dir`` (``<size>.checkpoint``, plus ``latest.checkpoint``). The files are
what an operator ships off-host (rsync, object storage with retention, a
witness): whoever later rewrites the database cannot make it match a
checkpoint held elsewhere.

``on_signed`` hands each checkpoint to witnesses as it is signed (see
``audit.witness``), so the tail since the previous one is provable off-host
within seconds rather than at the next file sync.

``Checkpointer`` signs when ``CheckpointPolicy`` says so (every N entries,
every T seconds) or on demand (``checkpoint()``, e.g. after an action reaches a
terminal state). Before signing it re-verifies every entry added since the
previous checkpoint and checks that the new tree extends the old one; it
never signs a log that is not an extension of what it signed before.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from audit import _tree
from audit._chain import ChainChecker, RootClaim
from audit.clock import Clock, SystemClock, format_ts
from audit.engine import snapshot_connection
from audit.errors import (
    AuditError,
    CheckpointError,
    InconsistentCheckpointError,
    InvalidProofError,
    SignatureError,
    one_line,
)
from audit.log import AuditLog
from audit.merkle import verify_consistency
from audit.models import ZERO_HASH, Checkpoint, entry_body
from audit.note import Signer, Verifier, open_note, sign_note
from audit.schema import checkpoints_table

__all__ = [
    "DEFAULT_ORIGIN",
    "CheckpointBody",
    "CheckpointPolicy",
    "Checkpointer",
    "open_checkpoint",
    "write_checkpoint_file",
]

DEFAULT_ORIGIN = "steward.local/audit"
ENTRY_BATCH = 10_000
ENTRY_SQL = (
    "SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash FROM audit_entries "
    "WHERE seq >= ? AND seq < ? ORDER BY seq"
)


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    """The signed part of a checkpoint."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """``<origin>\\n<size>\\n<base64 root>\\n``."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        """Parse a checkpoint body (extension lines after the root are ignored)."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise SignatureError("malformed checkpoint: expected origin, size and root lines")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not origin or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
            raise SignatureError("malformed checkpoint: bad origin or size line")
        try:
            root = base64.b64decode(root_text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("malformed checkpoint: root is not base64") from exc
        if len(root) != 32:
            raise SignatureError("malformed checkpoint: root is not 32 bytes")
        return cls(origin, int(size_text), root)


def open_checkpoint(note: str, verifier: Verifier | None) -> CheckpointBody:
    """Verify ``note``'s signature (when a verifier is given) and parse its body."""
    if verifier is not None:
        return CheckpointBody.parse(open_note(note, verifier))
    split = note.rfind("\n\n")
    if split < 0:
        raise SignatureError("malformed note: no signature block")
    return CheckpointBody.parse(note[: split + 1])


def write_checkpoint_file(directory: Path, checkpoint: Checkpoint) -> Path:
    """Atomically write ``<size>.checkpoint`` and refresh ``latest.checkpoint``."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / checkpoint.file_name
    for path in (target, directory / "latest.checkpoint"):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".checkpoint")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(checkpoint.note)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """When ``maybe_checkpoint`` signs: after ``every_entries`` new entries or ``every_seconds``.

    Defaults: 1000 entries, 60 seconds. Zero disables that trigger.
    """

    every_entries: int = 1000
    every_seconds: float = 60.0


class Checkpointer:
    """Signs checkpoints of ``log`` with ``signer``; stores them in the table and ``out_dir``."""

    def __init__(
        self,
        log: AuditLog,
        signer: Signer,
        *,
        policy: CheckpointPolicy | None = None,
        out_dir: Path | None = None,
        origin: str = DEFAULT_ORIGIN,
        clock: Clock | None = None,
        on_signed: Callable[[Checkpoint], None] | None = None,
    ) -> None:
        if not origin or any(c.isspace() for c in origin):
            raise CheckpointError(f"invalid origin {origin!r}")
        self.log = log
        self.signer = signer
        self.verifier = signer.verifier()
        self.policy = policy or CheckpointPolicy()
        self.out_dir = out_dir
        self.origin = origin
        self._clock: Clock = clock or log.clock or SystemClock()
        self._lock = threading.Lock()
        self._last_size: int | None = None
        self._last_time = self._clock.now()
        # Delivers each checkpoint to witnesses; it must not raise (see executor.witness).
        self.on_signed = on_signed

    def maybe_checkpoint(self) -> Checkpoint | None:
        """Sign if the policy says it is time; cheap otherwise (one indexed query)."""
        if self._last_size is None:
            latest = self.log.latest_checkpoint()
            self._last_size = latest.size if latest else 0
            self._last_time = self._clock.now()
        size = self.log.size()
        new = size - self._last_size
        if new <= 0:
            return None
        p = self.policy
        due = (p.every_entries > 0 and new >= p.every_entries) or (
            p.every_seconds > 0
            and (self._clock.now() - self._last_time).total_seconds() >= p.every_seconds
        )
        return self.checkpoint() if due else None

    def checkpoint(self) -> Checkpoint:
        """Sign the log as it is now (or return the latest checkpoint if nothing was added)."""
        with self._lock:
            for _ in range(3):
                cp = self._checkpoint_once()
                if cp is not None:
                    self._last_size, self._last_time = cp.size, self._clock.now()
                    if self.out_dir is not None:
                        try:
                            write_checkpoint_file(self.out_dir, cp)
                        except OSError as exc:
                            raise CheckpointError(
                                f"checkpoint {cp.size} is stored but could not be written to "
                                f"{self.out_dir}: {exc}"
                            ) from exc
                    if self.on_signed is not None:
                        self.on_signed(cp)
                    return cp
            raise CheckpointError("another process kept signing checkpoints; try again")

    def _checkpoint_once(self) -> Checkpoint | None:
        latest = self.log.latest_checkpoint()
        old = self._check_stored(latest) if latest is not None else None
        size = self.log.size()
        if size == 0:
            raise CheckpointError("the audit log is empty: nothing to checkpoint")
        if old is not None and size < old.size:
            raise InconsistentCheckpointError(
                f"the log has {size} entries but checkpoint {old.size} was signed: truncated"
            )
        root = self._verified_root(old, size)
        if old is not None and latest is not None and size == old.size:
            return latest
        body = CheckpointBody(self.origin, size, root)
        checkpoint = Checkpoint(
            origin=self.origin, size=size, root=root.hex(),
            signed_at=format_ts(self._clock.now()), note=sign_note(body.text(), self.signer),
        )
        try:
            with self.log.engine.begin() as conn:
                conn.execute(checkpoints_table.insert(), [checkpoint.model_dump()])
        except IntegrityError:
            return None  # someone else signed meanwhile: start over from theirs
        except SQLAlchemyError as exc:
            if "append-only" in str(exc):
                return None
            raise CheckpointError(f"could not store checkpoint {size}: {one_line(exc)}") from exc
        return checkpoint

    def _check_stored(self, latest: Checkpoint) -> CheckpointBody:
        try:
            body = open_checkpoint(latest.note, self.verifier)
        except SignatureError as exc:
            raise InconsistentCheckpointError(
                f"stored checkpoint {latest.size} does not carry a valid signature by "
                f"{self.verifier.name}: {exc}"
            ) from exc
        if (body.size, body.root.hex(), body.origin) != (latest.size, latest.root, latest.origin):
            raise InconsistentCheckpointError(
                f"stored checkpoint {latest.size}: table columns differ from the signed note"
            )
        return body

    def _verified_root(self, old: CheckpointBody | None, size: int) -> bytes:
        """Re-verify entries old.size..size-1 and return the root at ``size``."""
        start = old.size if old is not None else 0
        claims = [RootClaim(old.size, old.root, f"checkpoint {old.size}")] if old else []
        try:
            with snapshot_connection(self.log.engine) as conn, conn.begin():
                read = _tree.sa_reader(conn)
                frontier = _tree.frontier_at(read, start)
                if old is not None and frontier.root() != old.root:
                    raise InconsistentCheckpointError(
                        f"entries before seq {start} changed since checkpoint {start} was signed"
                    )
                prev = ZERO_HASH
                if start:
                    prev = read("SELECT hash FROM audit_entries WHERE seq = ?", [start - 1])[0][0]
                checker = ChainChecker(claims=claims, start=start, prev_hash=prev, frontier=frontier)
                for lo in range(start, size, ENTRY_BATCH):
                    for r in read(ENTRY_SQL, [lo, min(lo + ENTRY_BATCH, size)]):
                        body = entry_body(r[0], r[1], r[2], r[3], r[4], r[5], r[6])
                        checker.feed(r[0], r[6], r[7], sha256(b"\x00" + body.encode()).digest())
                checker.finish()
                tree_root = _tree.root_at(read, size)
                proof = _tree.consistency_path(read, start, size) if 0 < start < size else []
        except AuditError as exc:
            if isinstance(exc, InconsistentCheckpointError):
                raise
            raise InconsistentCheckpointError(f"cannot re-verify the log: {exc}") from exc
        except SQLAlchemyError as exc:
            raise CheckpointError(f"reading the log failed: {one_line(exc)}") from exc
        if checker.problems or checker.count != size:
            raise InconsistentCheckpointError(
                "refusing to sign: " + (checker.problems[0] if checker.problems else "entries missing")
            )
        root = checker.frontier.root()
        if root != tree_root:
            raise InconsistentCheckpointError("refusing to sign: the tree table disagrees with the entries")
        if old is not None and 0 < start < size:
            try:  # belt and braces: the RFC 9162 proof from the tree table must hold too
                verify_consistency(start, size, proof, old.root, root)
            except InvalidProofError as exc:
                raise InconsistentCheckpointError(f"refusing to sign: {exc}") from exc
        return root
