"""Export for auditors, and offline verification with nothing but the verifier key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit import (
    AuditLog,
    Checkpointer,
    ExportError,
    MemoryEvidenceStore,
    Signer,
    export,
    install_schema,
    open_engine,
    verify_export,
)


def build(log: AuditLog, signer: Signer, n: int = 30, tag: str = "a") -> MemoryEvidenceStore:
    """n events, two evidence files, checkpoints at 10 and at the end."""
    store = MemoryEvidenceStore()
    cp = Checkpointer(log, signer)
    for i in range(n):
        log.append("step.completed", actor="worker", action_id=f"req_{i % 3}", payload={"i": i, "tag": tag})
        if i in (4, 17):
            ref = store.put(f"shot {i}".encode(), media_type="image/png")
            log.append("evidence.stored", actor="worker", action_id="req_1",
                       payload={"kind": "screenshot", "sha256": ref.sha256, "size": ref.size, "label": "x"})
        if i == 9:
            cp.checkpoint()
    cp.checkpoint()
    return store


class TestRoundTrip:
    """An untouched export verifies offline."""

    def test_export_then_verify(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """entries.jsonl, checkpoints/ and the manifest verify with only the public key."""
        store = build(log, signer)
        summary = export(log, tmp_path / "x", store, include_evidence=True)
        assert (summary.entries, summary.checkpoints, summary.evidence, summary.evidence_copied) == (32, 2, 2, 2)
        lines = (tmp_path / "x" / "entries.jsonl").read_text().splitlines()
        assert lines == [e.to_line() for e in log.entries()]
        report = verify_export(tmp_path / "x", signer.verifier().key_string)
        assert report.ok, report.problems
        assert (report.entries, report.checkpoints, report.evidence_checked) == (32, 2, 2)
        assert report.signatures_checked and report.unsigned_entries == 0

    def test_key_from_file(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """The verifier key may be given as a file."""
        build(log, signer, n=5)
        export(log, tmp_path / "x")
        (tmp_path / "k.pub").write_text(signer.verifier().key_string + "\n")
        assert verify_export(tmp_path / "x", tmp_path / "k.pub").ok

    def test_refuses_non_empty_directory(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """Export never mixes with an existing directory's content."""
        (tmp_path / "x").mkdir()
        (tmp_path / "x" / "old").write_text("x")
        with pytest.raises(ExportError):
            export(log, tmp_path / "x")

    def test_not_an_export(self, tmp_path: Path, signer: Signer) -> None:
        """A directory without entries.jsonl is refused."""
        with pytest.raises(ExportError):
            verify_export(tmp_path, signer.verifier())


class TestOfflineFailures:
    """What offline verification catches."""

    def test_wrong_key(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """Checkpoints not signed by the given key fail, named by size."""
        build(log, signer)
        export(log, tmp_path / "x")
        report = verify_export(tmp_path / "x", Signer.generate(signer.name).verifier())
        assert not report.ok and report.first_bad_checkpoint == log.checkpoints()[0].size

    def test_trusted_checkpoint_prefix(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """A checkpoint the auditor kept from earlier is a prefix of the exported log."""
        build(log, signer, n=12)
        earlier = log.latest_checkpoint()
        assert earlier is not None
        for i in range(5):
            log.append("later.event", actor="x", payload={"i": i})
        export(log, tmp_path / "x")
        assert verify_export(tmp_path / "x", signer.verifier(), earlier.note).ok

    def test_fork_under_one_key(self, signer: Signer, tmp_path: Path) -> None:
        """Two different logs signed with one key: the held checkpoint exposes the fork."""
        logs = []
        for name in ("a", "b"):
            engine = open_engine(f"sqlite:///{tmp_path / name}.db")
            install_schema(engine)
            logs.append((engine, AuditLog(engine)))
        (_ea, la), (_eb, lb) = logs
        build(la, signer, n=20, tag="a")
        build(lb, signer, n=20, tag="b")  # same shape, different content
        held = la.latest_checkpoint()
        assert held is not None
        export(lb, tmp_path / "bx")
        report = verify_export(tmp_path / "bx", signer.verifier(), held.note)
        assert not report.ok and report.first_bad_checkpoint == held.size
        assert any("fork" in p for p in report.problems)
        (tmp_path / "bx" / "checkpoints" / "999.checkpoint").write_text(held.note)
        assert not verify_export(tmp_path / "bx", signer.verifier()).ok
        for engine, log in logs:
            log.close()
            engine.dispose()

    def test_manifest_and_evidence_files(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """A manifest missing a reference, or an altered evidence file, is reported."""
        store = build(log, signer)
        export(log, tmp_path / "x", store, include_evidence=True)
        manifest = json.loads((tmp_path / "x" / "evidence-manifest.json").read_text())
        dropped = manifest["evidence"].pop()
        (tmp_path / "x" / "evidence-manifest.json").write_text(json.dumps(manifest))
        other = manifest["evidence"][0]["sha256"]
        (tmp_path / "x" / "evidence" / other).write_bytes(b"forged")
        report = verify_export(tmp_path / "x", signer.verifier())
        assert not report.ok
        assert any(dropped["sha256"] in p and "not in" in p for p in report.problems)
        assert any(other in p and "altered" in p for p in report.problems)

    def test_malformed_line(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """A line that is not a canonical entry is named by its seq."""
        build(log, signer)
        export(log, tmp_path / "x")
        path = tmp_path / "x" / "entries.jsonl"
        lines = path.read_text().splitlines()
        lines[7] = lines[7].replace('","hash":"', '", "hash":"')
        path.write_text("\n".join(lines) + "\n")
        report = verify_export(tmp_path / "x", signer.verifier())
        assert not report.ok and report.first_bad_seq == 7

    def test_no_checkpoints(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """Without checkpoints the chain is still checked (and the report says nothing is signed)."""
        for i in range(4):
            log.append("a.b", actor="x", payload={"i": i})
        export(log, tmp_path / "x")
        report = verify_export(tmp_path / "x", signer.verifier())
        assert report.ok and report.checkpoints == 0 and report.unsigned_entries == 4
