"""Steward's audit log: append-only, hash-chained, Merkle-checkpointed, verifiable offline.

Public surface (pinned by ``tests/audit/test_audit_exports.py``)::

    engine = open_engine("sqlite:///steward.db"); install_schema(engine)
    log = AuditLog(engine, redactor=Redactor([SecretScrub(), HmacFields(pii, key)]))
    log.append("request.received", action_id="req_1", actor="agent:bot-1", payload={...})
    Checkpointer(log, load_signer(key_dir / "audit.key"), out_dir=checkpoint_dir).maybe_checkpoint()
    log.verify(FileEvidenceStore(evidence_dir), verifier=load_verifier(key_dir / "audit.pub"))
    export(log, out, evidence); verify_export(out, "name+keyid+base64")

It depends on no other Steward package. Names load on first use (PEP 562), so a
process that needs one module, such as a verification worker, imports only that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# The errors module is light: its names are bound at once; the rest load on first use.
from audit.errors import (
    AuditError,
    AuditPayloadError,
    AuditReadError,
    AuditStorageError,
    AuditWriteError,
    CanonicalizationError,
    CheckpointError,
    EvidenceCorruptError,
    EvidenceError,
    EvidenceNotFoundError,
    ExportError,
    InconsistentCheckpointError,
    InvalidProofError,
    KeyMaterialError,
    ProofError,
    ProofUnavailableError,
    SchemaError,
    SignatureError,
)

if TYPE_CHECKING:
    from audit.canonical import canonical_json
    from audit.checkpoint import (
        DEFAULT_ORIGIN,
        CheckpointBody,
        Checkpointer,
        CheckpointPolicy,
        open_checkpoint,
        write_checkpoint_file,
    )
    from audit.clock import Clock, FakeClock, SystemClock, format_ts, parse_ts
    from audit.engine import normalize_url, open_engine, read_connection, snapshot_connection
    from audit.evidence import EvidenceStore, FileEvidenceStore, MemoryEvidenceStore
    from audit.export import ExportSummary, export, verify_export
    from audit.log import AuditLog
    from audit.merkle import verify_consistency, verify_inclusion
    from audit.models import (
        AuditEntry,
        Checkpoint,
        ConsistencyProof,
        Event,
        EvidenceRef,
        InclusionProof,
        VerifyReport,
    )
    from audit.note import (
        DEFAULT_KEY_NAME,
        Signer,
        Verifier,
        keygen,
        load_signer,
        load_verifier,
    )
    from audit.redact import (
        HmacFields,
        RedactionStep,
        Redactor,
        SecretScrub,
        hash_value,
        load_or_create_pii_key,
        load_pii_key,
    )
    from audit.schema import install_schema
    from audit.witness import witness_notes, write_witness_file

_SOURCES: dict[str, tuple[str, ...]] = {
    "audit.canonical": ("canonical_json",),
    "audit.checkpoint": (
        "DEFAULT_ORIGIN",
        "CheckpointBody",
        "Checkpointer",
        "CheckpointPolicy",
        "open_checkpoint",
        "write_checkpoint_file",
    ),
    "audit.clock": ("Clock", "FakeClock", "SystemClock", "format_ts", "parse_ts"),
    "audit.engine": ("normalize_url", "open_engine", "read_connection", "snapshot_connection"),
    "audit.evidence": ("EvidenceStore", "FileEvidenceStore", "MemoryEvidenceStore"),
    "audit.export": ("ExportSummary", "export", "verify_export"),
    "audit.log": ("AuditLog",),
    "audit.merkle": ("verify_consistency", "verify_inclusion"),
    "audit.models": (
        "AuditEntry",
        "Checkpoint",
        "ConsistencyProof",
        "Event",
        "EvidenceRef",
        "InclusionProof",
        "VerifyReport",
    ),
    "audit.note": ("DEFAULT_KEY_NAME", "Signer", "Verifier", "keygen", "load_signer", "load_verifier"),
    "audit.redact": (
        "HmacFields",
        "RedactionStep",
        "Redactor",
        "SecretScrub",
        "hash_value",
        "load_or_create_pii_key",
        "load_pii_key",
    ),
    "audit.schema": ("install_schema",),
    "audit.witness": ("witness_notes", "write_witness_file"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "DEFAULT_KEY_NAME",
    "DEFAULT_ORIGIN",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditPayloadError",
    "AuditReadError",
    "AuditStorageError",
    "AuditWriteError",
    "CanonicalizationError",
    "Checkpoint",
    "CheckpointBody",
    "CheckpointError",
    "CheckpointPolicy",
    "Checkpointer",
    "Clock",
    "ConsistencyProof",
    "Event",
    "EvidenceCorruptError",
    "EvidenceError",
    "EvidenceNotFoundError",
    "EvidenceRef",
    "EvidenceStore",
    "ExportError",
    "ExportSummary",
    "FakeClock",
    "FileEvidenceStore",
    "HmacFields",
    "InclusionProof",
    "InconsistentCheckpointError",
    "InvalidProofError",
    "KeyMaterialError",
    "MemoryEvidenceStore",
    "ProofError",
    "ProofUnavailableError",
    "RedactionStep",
    "Redactor",
    "SchemaError",
    "SecretScrub",
    "SignatureError",
    "Signer",
    "SystemClock",
    "Verifier",
    "VerifyReport",
    "canonical_json",
    "export",
    "format_ts",
    "hash_value",
    "install_schema",
    "keygen",
    "load_or_create_pii_key",
    "load_pii_key",
    "load_signer",
    "load_verifier",
    "normalize_url",
    "open_checkpoint",
    "open_engine",
    "parse_ts",
    "read_connection",
    "snapshot_connection",
    "verify_consistency",
    "verify_export",
    "verify_inclusion",
    "witness_notes",
    "write_checkpoint_file",
    "write_witness_file",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    # Bind every name of that module now: importing audit.export sets the attribute
    # ``export`` to the submodule, which must not hide the function of that name.
    for other in _SOURCES[module]:
        globals()[other] = getattr(loaded, other)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
