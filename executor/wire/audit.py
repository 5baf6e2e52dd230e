"""The audit log over the API: events, the verification report, inclusion proofs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from executor.wire._base import WireModel

__all__ = [
    "AffectedAction",
    "AffectedList",
    "AuditEvent",
    "AuditEventPage",
    "CheckpointInfo",
    "InclusionProof",
    "ProofResult",
    "RequestTimeline",
    "TimelineEntry",
    "VerifierInfo",
    "VerifyResult",
]

_HASH = "3b8e6f0a1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"


class AuditEvent(WireModel):
    """One entry of the append-only, hash-chained log."""

    seq: int = Field(description="Position in the log's single total order, from 0, gapless.", examples=[131])
    ts: str = Field(description="UTC time of the append, ISO-8601 with milliseconds.",
                    examples=["2026-12-02T14:03:27.512Z"], json_schema_extra={"format": "date-time"})
    type: str = Field(description="Dotted event type.", examples=["approval.granted"])
    action_id: str | None = Field(description="The request the event belongs to, if any.",
                                  examples=["req_019c1f2a3b4c5d6e7f8a9b0c"])
    actor: str = Field(description="Who caused it: role:name or system:component.", examples=["operator:olga"])
    payload: dict[str, Any] = Field(description="Event details (redacted before writing).",
                                    examples=[{"operator": "olga", "note": "checked", "requester": "resolver-bot"}])
    prev_hash: str = Field(description="Hex hash of the previous entry (64 zeros for seq 0).", examples=[_HASH])
    hash: str = Field(description="Hex SHA-256 over the entry's canonical JSON: chain link and Merkle leaf.",
                      examples=[_HASH])


class AuditEventPage(WireModel):
    """A page of audit events in seq order."""

    events: list[AuditEvent] = Field(description="The entries of this page.", examples=[[]])
    next_after_seq: int | None = Field(description="Pass it back as after_seq for the next page; null on the last.",
                                       examples=[131])


class VerifierInfo(WireModel):
    """The key that checked the checkpoint signatures (never more than the public key)."""

    name: str | None = Field(description="The key's name; null without a usable key.", examples=["steward-audit"])
    key_id: str | None = Field(description="The key id (8 hex digits).", examples=["1a2b3c4d"])
    key: str | None = Field(description="The public verifier key string (name+keyid+base64).",
                            examples=["steward-audit+1a2b3c4d+AZmVyaWZ5IG1lIHdpdGggdGhpcyBrZXk="])
    source: str = Field(description="--key, STEWARD_VERIFIER_KEY, keys/audit.pub or none.",
                        examples=["keys/audit.pub"])
    path: str | None = Field(description="The key file, when the key came from one.",
                             examples=["/var/lib/steward/keys/audit.pub"])
    error: str | None = Field(description="Why no key could be used, if so.", examples=[None])


class VerifyResult(WireModel):
    """The verification of the whole log: chain, Merkle tree, checkpoint signatures and evidence."""

    ok: bool = Field(description="True when no problem was found.", examples=[True])
    entries: int = Field(description="Entries read.", examples=[1204])
    first_bad_seq: int | None = Field(description="First entry found bad, if any.", examples=[None])
    first_bad_checkpoint: int | None = Field(description="Tree size of the first checkpoint that failed, if any.",
                                             examples=[None])
    problems: list[str] = Field(description="Findings, for people.", examples=[[]])
    checkpoints: int = Field(description="Checkpoints checked against the entries.", examples=[3])
    latest_checkpoint: int | None = Field(description="Size of the newest checkpoint.", examples=[1200])
    unsigned_entries: int = Field(description="Entries after the newest checkpoint.", examples=[4])
    signatures_checked: bool = Field(description="Whether checkpoint signatures were verified.", examples=[True])
    evidence_checked: int = Field(description="Evidence files re-hashed.", examples=[42])
    summary: str = Field(description="One line for people.",
                         examples=["ok: 1204 entries, chain intact, 3 checkpoint(s) verified"])
    verifier: VerifierInfo = Field(description="The key used for the signatures.")


class InclusionProof(WireModel):
    """RFC 6962/9162 proof that an entry is leaf ``seq`` of the tree of ``tree_size`` entries."""

    seq: int = Field(description="The entry's seq (its leaf index).", examples=[131])
    tree_size: int = Field(description="Entries in the tree proved against.", examples=[1204])
    leaf_hash: str = Field(description="Hex leaf hash (the entry's hash).", examples=[_HASH])
    root: str = Field(description="Hex Merkle root of the tree of tree_size entries.", examples=[_HASH])
    path: list[str] = Field(description="Hex proof hashes, leaf to root (RFC 9162 2.1.3.1).", examples=[[_HASH]])


class ProofResult(WireModel):
    """An entry with its inclusion proof."""

    entry: AuditEvent = Field(description="The entry.")
    proof: InclusionProof = Field(description="Its inclusion proof.")


class AffectedAction(WireModel):
    """One request that changed records in an incident window (its commit step started in it)."""

    action_id: str = Field(description="The request id.", examples=["req_019c1f2a3b4c5d6e7f8a9b0c"])
    action: str | None = Field(description="The catalog action.", examples=["issue_credit"])
    target: str | None = Field(description="Its back-office target.", examples=["billing_console"])
    requester: str | None = Field(description="Who submitted it.", examples=["resolver-bot"])
    params: dict[str, Any] = Field(description="The parameters as logged (PII HMAC'd, secrets masked).",
                                   examples=[{"account_id": "ACC-000042", "amount_cents": 1500}])
    outcome: str | None = Field(description="Its latest state in the log.", examples=["succeeded"])
    committed_at: str = Field(description="When its commit step started (UTC, ISO-8601).",
                              examples=["2026-12-02T14:03:27.512Z"], json_schema_extra={"format": "date-time"})
    values: dict[str, Any] = Field(description="Values read from the back-office.", examples=[{"balance": "$3"}])
    evidence: list[dict[str, Any]] = Field(description="Its evidence files: kind, sha256, size, label.",
                                           examples=[[]])


class AffectedList(WireModel):
    """What `steward audit affected` prints, for a window [since, until)."""

    since: str = Field(description="Window start (UTC, ISO-8601).", examples=["2026-12-02T00:00:00.000Z"])
    until: str = Field(description="Window end, exclusive (UTC, ISO-8601).", examples=["2026-12-03T00:00:00.000Z"])
    actions: list[AffectedAction] = Field(description="Oldest commit first.", examples=[[]])


class TimelineEntry(WireModel):
    """One audit event of a request, with what it takes to check its inclusion in the signed checkpoint."""

    event: AuditEvent = Field(description="The entry.")
    summary: str = Field(description="The event in a line, for people.", examples=["awaiting_approval -> queued"])
    inclusion: str = Field(description="included (proof verified by the server), pending (after the latest "
                           "checkpoint) or failed.", examples=["included"])
    proof: list[str] | None = Field(description="Hex inclusion proof against the checkpoint (null when pending): "
                                    "a client re-checks it from the entry's hash up to `checkpoint.root`.",
                                    examples=[[_HASH]])
    failure: str = Field(description="Why the proof failed, if it did (empty otherwise).", examples=[""])


class CheckpointInfo(WireModel):
    """The latest signed checkpoint a timeline is proved against."""

    size: int = Field(description="Entries in the tree it signs.", examples=[1200])
    root: str = Field(description="Hex Merkle root it signs.", examples=[_HASH])
    signature: str = Field(description="verified (with the configured verifier key), not checked (no key) or "
                           "bad (...).", examples=["verified"])


class RequestTimeline(WireModel):
    """Everything the audit log says about one request, proved against the latest signed checkpoint."""

    action_id: str = Field(description="The request id.", examples=["req_019c1f2a3b4c5d6e7f8a9b0c"])
    entries: list[TimelineEntry] = Field(description="Its events in seq order.", examples=[[]])
    checkpoint: CheckpointInfo | None = Field(description="The checkpoint proved against; null before the first.")
    verifier: VerifierInfo = Field(description="The key that checked the checkpoint's signature.")
