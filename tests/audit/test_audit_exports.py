"""The audit package's public surface and its independence from the rest of Steward."""

from __future__ import annotations

import ast
from pathlib import Path

import audit

EXPECTED = [
    "DEFAULT_KEY_NAME", "DEFAULT_ORIGIN", "AuditEntry", "AuditError", "AuditLog",
    "AuditPayloadError", "AuditReadError", "AuditStorageError", "AuditWriteError",
    "CanonicalizationError", "Checkpoint", "CheckpointBody", "CheckpointError",
    "CheckpointPolicy", "Checkpointer", "Clock", "ConsistencyProof", "Event",
    "EvidenceCorruptError", "EvidenceError", "EvidenceNotFoundError", "EvidenceRef",
    "EvidenceStore", "ExportError", "ExportSummary", "FakeClock", "FileEvidenceStore",
    "HmacFields", "InclusionProof", "InconsistentCheckpointError", "InvalidProofError",
    "KeyMaterialError", "MemoryEvidenceStore", "ProofError", "ProofUnavailableError",
    "RedactionStep", "Redactor", "SchemaError", "SecretScrub", "SignatureError", "Signer",
    "SystemClock", "Verifier", "VerifyReport", "canonical_json", "export", "format_ts",
    "hash_value", "install_schema", "keygen", "load_or_create_pii_key", "load_pii_key",
    "load_signer", "load_verifier", "normalize_url", "open_checkpoint", "open_engine",
    "parse_ts", "read_connection", "snapshot_connection", "verify_consistency", "verify_export",
    "verify_inclusion", "witness_notes", "write_checkpoint_file", "write_witness_file",
]


class TestPublicSurface:
    """What ``from audit import ...`` offers."""

    def test_all_is_pinned(self) -> None:
        """``audit.__all__`` is exactly the reviewed list (change both on purpose)."""
        assert audit.__all__ == EXPECTED

    def test_every_name_resolves(self) -> None:
        """Every exported name exists on the package."""
        for name in audit.__all__:
            assert getattr(audit, name) is not None, name

    def test_executor_contract_names(self) -> None:
        """The names the executor imports are all exported."""
        needed = {
            "open_engine", "install_schema", "AuditLog", "AuditEntry", "VerifyReport",
            "EvidenceStore", "FileEvidenceStore", "MemoryEvidenceStore", "EvidenceRef", "Redactor",
            "Checkpointer", "CheckpointPolicy", "Signer", "Verifier", "keygen", "load_signer",
            "load_verifier", "Checkpoint", "canonical_json", "AuditError", "AuditWriteError",
        }
        assert needed <= set(audit.__all__)

    def test_errors_say_whether_retrying_helps(self) -> None:
        """Every error class carries a boolean ``retryable``."""
        errors = [getattr(audit, n) for n in audit.__all__ if n.endswith("Error")]
        assert all(isinstance(e.retryable, bool) for e in errors)
        assert audit.AuditStorageError.retryable and not audit.AuditPayloadError.retryable
        assert issubclass(audit.AuditPayloadError, audit.AuditWriteError)


class TestIndependence:
    """SPEC section 3: audit uses no other Steward package."""

    def test_imports_no_other_package(self) -> None:
        """No module under audit/ imports executor, policies or action_classes."""
        root = Path(audit.__file__).parent
        for path in root.glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    assert top not in {"executor", "policies", "action_classes"}, (path.name, name)

    def test_modules_stay_small(self) -> None:
        """Each module stays around 400 lines or fewer (STYLE 11)."""
        root = Path(audit.__file__).parent
        for path in root.glob("*.py"):
            assert len(path.read_text(encoding="utf-8").splitlines()) <= 420, path.name
