"""Live verification details: the parallel fast path, tree-table checks, reports."""

from __future__ import annotations

import os
from typing import Any

import pytest
from _audit_support import tamper

from audit import AuditLog, Checkpointer, Event, MemoryEvidenceStore, Signer, install_schema, open_engine
from audit import verify as verify_module
from audit._parallel import parallel_verify
from audit.verify import verify_live


def fill(log: AuditLog, signer: Signer, store: MemoryEvidenceStore) -> None:
    """1,300 entries with evidence and three checkpoints (one mid-chunk)."""
    cp = Checkpointer(log, signer)
    for start, stop in ((0, 500), (500, 700), (700, 1300)):
        events = [Event("step.completed", "worker", {"i": i}, f"req_{i % 9}") for i in range(start, stop)]
        ref = store.put(b"evidence %d" % start, media_type="image/png")
        events.append(Event("evidence.stored", "worker",
                            {"kind": "screenshot", "sha256": ref.sha256, "size": ref.size, "label": "x"}))
        log.append_many(events)
        cp.checkpoint()


class TestParallel:
    """Big logs are checked in chunks on several processes; the answer is the same."""

    def test_intact_log_same_report(self, log: AuditLog, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
        """The parallel path accepts an intact log and reports what the sequential one does."""
        store = MemoryEvidenceStore()
        fill(log, signer, store)
        outcomes: list[object] = []

        def spy(*args: Any, **kwargs: Any) -> Any:
            outcomes.append(result := parallel_verify(*args, **kwargs))
            return result

        monkeypatch.setattr(verify_module, "parallel_verify", spy)
        kwargs = {"evidence": store, "verifier": signer.verifier()}
        fast = verify_live(log.engine, workers=2, chunk_level=8, **kwargs)
        assert len(outcomes) == 1 and outcomes[0] is not None  # the fast path itself said "intact"
        slow = verify_live(log.engine, workers=1, **kwargs)
        assert fast.ok and fast == slow and fast.checkpoints == 3 and fast.evidence_checked == 3

    def test_irregular_logs_fall_back(self, sqlite_url: str, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bad entry or a bad tree node spanning chunks: the fast path declines, the slow one names it."""
        engine = open_engine(sqlite_url)
        install_schema(engine)
        log = AuditLog(engine)
        fill(log, signer, MemoryEvidenceStore())
        tamper(engine, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 777",
               "DELETE FROM audit_tree_nodes WHERE seq = 1023 AND level = 10")
        outcomes: list[object] = []

        def spy(*args: Any, **kwargs: Any) -> Any:
            outcomes.append(result := parallel_verify(*args, **kwargs))
            return result

        monkeypatch.setattr(verify_module, "parallel_verify", spy)
        report = verify_live(engine, workers=2, chunk_level=8, verifier=signer.verifier())
        assert outcomes == [None] and not report.ok and report.first_bad_seq == 777
        assert any("tree table" in p for p in report.problems)
        log.close()
        engine.dispose()


    def test_a_failing_worker_sends_the_log_through_the_sequential_verifier(
        self, sqlite_url: str, signer: Signer
    ) -> None:
        """Workers that cannot read the log (here: the file is gone) make the fast path decline."""
        engine = open_engine(sqlite_url)
        install_schema(engine)
        log = AuditLog(engine)
        fill(log, signer, MemoryEvidenceStore())
        log.close()
        claims: list[Any] = []
        assert parallel_verify(engine, 1303, claims, workers=2, chunk_level=8) is not None
        engine.dispose()
        path = engine.url.database
        assert path is not None
        moved = f"{path}.moved"
        os.rename(path, moved)
        try:
            assert parallel_verify(engine, 1303, claims, workers=2, chunk_level=8) is None
        finally:
            os.rename(moved, path)


class TestTreeTable:
    """The Merkle nodes stored at append time are checked too."""

    def test_damaged_node_under_a_good_checkpoint(self, log: AuditLog, signer: Signer) -> None:
        """A wrong tree node is reported without blaming entries a checkpoint vouches for."""
        fill(log, signer, MemoryEvidenceStore())
        tamper(log.engine, "DELETE FROM audit_tree_nodes WHERE seq = 101 AND level = 1")
        report = log.verify(verifier=signer.verifier())
        assert not report.ok and report.first_bad_seq is None
        assert any("tree table" in p for p in report.problems)

    def test_removed_tail_seen_in_the_tree(self, log: AuditLog) -> None:
        """Entries cut from the end, with no checkpoint at all, still show up missing."""
        log.append_many(Event("a.b", "x", {"i": i}) for i in range(40))
        tamper(log.engine, "DELETE FROM audit_entries WHERE seq >= 30")
        report = log.verify()
        assert not report.ok and report.first_bad_seq == 30
