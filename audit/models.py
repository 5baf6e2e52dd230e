"""The audit package's value types: entries, reports, proofs, evidence refs.

An entry's ``hash`` is its Merkle leaf hash: SHA-256(0x00 || canonical JSON of
the entry without ``hash``). The canonical JSON includes ``prev_hash`` (the
previous entry's hash, 64 zeros for seq 0), so the same 32 bytes are both the
hash-chain link and the leaf of the signed Merkle tree.
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audit._bodies import ZERO_HASH, entry_body, entry_leaf
from audit.canonical import canonical_text
from audit.errors import InvalidProofError
from audit.merkle import verify_consistency, verify_inclusion

__all__ = [
    "ZERO_HASH",
    "AuditEntry",
    "Checkpoint",
    "ConsistencyProof",
    "Event",
    "EvidenceRef",
    "InclusionProof",
    "VerifyReport",
    "entry_body",
    "entry_leaf",
    "entry_line",
    "trusted_entry",
]

_STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


def entry_line(body: str, hash_hex: str) -> str:
    """Canonical JSON of the entry *with* its hash: ``"hash"`` sorts right after ``"actor"``."""
    cut = body.index(',"payload":')
    return body[:cut] + ',"hash":"' + hash_hex + '"' + body[cut:]


@dataclass(frozen=True, slots=True)
class Event:
    """One event to append (the input side of ``AuditLog.append_many``)."""

    type: str
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)
    action_id: str | None = None


class AuditEntry(BaseModel):
    """One immutable entry of the audit log."""

    model_config = _STRICT

    seq: int = Field(ge=0, description="Position in the log's single total order, from 0, gapless.")
    ts: str = Field(description="UTC time of the append, ISO-8601 with milliseconds and Z.")
    type: str = Field(description="Dotted event type, e.g. request.received.")
    action_id: str | None = Field(description="The action request this event belongs to, if any.")
    actor: str = Field(description="Who caused the event, e.g. agent:bot-1 or operator:alice.")
    payload: dict[str, Any] = Field(description="Event details (redacted before writing).")
    prev_hash: str = Field(description="Hex hash of the previous entry (64 zeros for seq 0).")
    hash: str = Field(description="Hex SHA-256(0x00 || canonical JSON without hash): chain link and Merkle leaf.")

    def payload_text(self) -> str:
        """The payload's canonical JSON, as stored."""
        return canonical_text(self.payload)

    def body(self) -> str:
        """Canonical JSON of the entry without ``hash`` (what gets hashed)."""
        return entry_body(
            self.seq, self.ts, self.type, self.action_id, self.actor,
            self.payload_text(), self.prev_hash,
        )

    def computed_hash(self) -> str:
        """Recompute the hash from the fields (compare with ``hash``)."""
        return entry_leaf(self.body()).hex()

    def to_line(self) -> str:
        """Canonical JSON including ``hash``: one line of an export's entries.jsonl."""
        return entry_line(self.body(), self.hash)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, JSON-ready."""
        return self.model_dump()


_ENTRY_FIELDS = frozenset(AuditEntry.model_fields)


def trusted_entry(
    seq: int, ts: str, type: str, action_id: str | None, actor: str, payload: dict[str, Any],
    prev_hash: str, hash: str,
) -> AuditEntry:
    """An ``AuditEntry`` of values the writer computed and hashed itself, built without validation.

    What ``model_construct`` does, without its per-field bookkeeping: on the
    append path that bookkeeping cost more than hashing the entry. A test
    pins that the result equals the validated model.
    """
    entry = object.__new__(AuditEntry)
    object.__setattr__(entry, "__dict__", {
        "seq": seq, "ts": ts, "type": type, "action_id": action_id, "actor": actor,
        "payload": payload, "prev_hash": prev_hash, "hash": hash,
    })
    object.__setattr__(entry, "__pydantic_fields_set__", _ENTRY_FIELDS)
    object.__setattr__(entry, "__pydantic_extra__", None)
    object.__setattr__(entry, "__pydantic_private__", None)
    return entry


class EvidenceRef(BaseModel):
    """A stored evidence file: its content hash, size and media type."""

    model_config = _STRICT

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Lowercase hex SHA-256 of the bytes.")
    size: int = Field(ge=0, description="Size in bytes.")
    media_type: str = Field(description="MIME type, e.g. image/png or application/zip.")


class VerifyReport(BaseModel):
    """Outcome of verifying a log (live or from an export)."""

    model_config = _STRICT

    ok: bool = Field(description="True when no problem was found.")
    entries: int = Field(description="Entries read.")
    first_bad_seq: int | None = Field(default=None, description="First entry found bad, if any.")
    first_bad_checkpoint: int | None = Field(
        default=None, description="Tree size of the first checkpoint that failed, if any."
    )
    problems: list[str] = Field(default_factory=list, description="Human-readable findings.")
    checkpoints: int = Field(default=0, description="Checkpoints checked against the entries.")
    latest_checkpoint: int | None = Field(default=None, description="Size of the newest checkpoint.")
    unsigned_entries: int = Field(
        default=0, description="Entries after the newest checkpoint (not yet covered by a signature)."
    )
    signatures_checked: bool = Field(default=False, description="Whether checkpoint signatures were verified.")
    evidence_checked: int = Field(default=0, description="Evidence files checked.")

    def summary(self) -> str:
        """One line for humans."""
        if not self.ok:
            where = []
            if self.first_bad_seq is not None:
                where.append(f"first bad seq {self.first_bad_seq}")
            if self.first_bad_checkpoint is not None:
                where.append(f"first bad checkpoint {self.first_bad_checkpoint}")
            first = self.problems[0] if self.problems else "unknown problem"
            return f"verification FAILED ({', '.join(where) or 'see problems'}): {first}"
        cp = (
            f"{self.checkpoints} checkpoint(s) verified"
            + ("" if self.signatures_checked else " (signatures NOT checked: no verifier key)")
            if self.checkpoints
            else "no checkpoints yet"
        )
        tail = f", {self.unsigned_entries} entries after the latest checkpoint" if self.checkpoints else ""
        ev = f", {self.evidence_checked} evidence file(s) intact" if self.evidence_checked else ""
        return f"ok: {self.entries} entries, chain intact, {cp}{tail}{ev}"


def _unhex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidProofError(f"not a hex hash: {text!r}") from exc


def _b64(h: bytes) -> str:
    return b64encode(h).decode("ascii")


class InclusionProof(BaseModel):
    """Proof that entry ``seq`` is leaf ``seq`` of the tree of ``tree_size`` entries with ``root``."""

    model_config = _STRICT

    seq: int
    tree_size: int
    leaf_hash: str = Field(description="Hex leaf hash (the entry's hash).")
    root: str = Field(description="Hex root of the tree of tree_size entries.")
    path: list[str] = Field(description="Hex proof hashes, leaf to root (RFC 9162 2.1.3.1).")

    def verify(self) -> None:
        """Raise InvalidProofError unless the proof holds."""
        leaf, root, path = _unhex(self.leaf_hash), _unhex(self.root), [_unhex(p) for p in self.path]
        verify_inclusion(leaf, self.seq, self.tree_size, path, root)

    def to_json(self) -> str:
        """JSON with base64 hashes too, for tools that expect them."""
        data = self.model_dump()
        data["path_b64"] = [_b64(bytes.fromhex(p)) for p in self.path]
        return json.dumps(data, sort_keys=True)


class ConsistencyProof(BaseModel):
    """Proof that the tree of ``new_size`` entries extends the tree of ``old_size``."""

    model_config = _STRICT

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    path: list[str] = Field(description="Hex proof hashes (RFC 9162 2.1.4.1).")

    def verify(self) -> None:
        """Raise InvalidProofError unless the proof holds."""
        old, new, path = _unhex(self.old_root), _unhex(self.new_root), [_unhex(p) for p in self.path]
        verify_consistency(self.old_size, self.new_size, path, old, new)


class Checkpoint(BaseModel):
    """A signed checkpoint: the log's size and Merkle root, as a C2SP signed note."""

    model_config = _STRICT

    origin: str = Field(description="The log's origin line (its name in checkpoints).")
    size: int = Field(ge=1, description="Number of entries covered (seq 0 .. size-1).")
    root: str = Field(description="Hex Merkle root of those entries.")
    signed_at: str = Field(description="UTC time of signing (not part of the signed text).")
    note: str = Field(description="The full signed note: checkpoint body, blank line, signature lines.")

    @property
    def root_bytes(self) -> bytes:
        """The root as 32 bytes."""
        return bytes.fromhex(self.root)

    @property
    def file_name(self) -> str:
        """File name used in checkpoint directories and exports."""
        return f"{self.size:012d}.checkpoint"
