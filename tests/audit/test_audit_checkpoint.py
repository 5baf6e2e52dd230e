"""Signed checkpoints: when they are made, what they contain, and what is never signed."""

from __future__ import annotations

import base64
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from _audit_support import rewrite_history, tamper

from audit import (
    AuditLog,
    CheckpointBody,
    Checkpointer,
    CheckpointError,
    CheckpointPolicy,
    FakeClock,
    InconsistentCheckpointError,
    SignatureError,
    Signer,
    open_checkpoint,
)
from audit.checkpoint import DEFAULT_ORIGIN


def fill(log: AuditLog, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        log.append("a.b", actor="x", payload={"i": i})


class TestPolicy:
    """maybe_checkpoint signs every N entries or T seconds, and is cheap otherwise."""

    def test_every_n_entries(self, log: AuditLog, signer: Signer) -> None:
        """A checkpoint appears once N new entries exist, not before."""
        cp = Checkpointer(log, signer, policy=CheckpointPolicy(every_entries=10, every_seconds=0))
        fill(log, 9)
        assert cp.maybe_checkpoint() is None
        fill(log, 1, 9)
        first = cp.maybe_checkpoint()
        assert first is not None and first.size == 10
        assert cp.maybe_checkpoint() is None

    def test_every_t_seconds(self, log: AuditLog, signer: Signer, clock: FakeClock) -> None:
        """After T seconds any new entry gets checkpointed."""
        cp = Checkpointer(log, signer, policy=CheckpointPolicy(every_entries=0, every_seconds=30))
        fill(log, 2)
        assert cp.maybe_checkpoint() is None
        clock.advance(31)
        signed = cp.maybe_checkpoint()
        assert signed is not None and signed.size == 2
        clock.advance(31)
        assert cp.maybe_checkpoint() is None  # nothing new

    def test_on_demand_is_idempotent(self, log: AuditLog, signer: Signer) -> None:
        """checkpoint() without new entries returns the latest one instead of signing again."""
        fill(log, 3)
        cp = Checkpointer(log, signer)
        a, b = cp.checkpoint(), cp.checkpoint()
        assert a == b and len(log.checkpoints()) == 1

    def test_empty_log(self, log: AuditLog, signer: Signer) -> None:
        """An empty log has nothing to sign."""
        with pytest.raises(CheckpointError, match="empty"):
            Checkpointer(log, signer).checkpoint()


class TestContents:
    """What a checkpoint is and where it goes."""

    def test_c2sp_body_and_files(self, log: AuditLog, signer: Signer, tmp_path: Path) -> None:
        """Body is origin/size/base64 root; the note is in the table and in out_dir."""
        fill(log, 7)
        cp = Checkpointer(log, signer, out_dir=tmp_path / "cps").checkpoint()
        root = log.root(7)
        assert cp.note.startswith(f"{DEFAULT_ORIGIN}\n7\n{base64.b64encode(root).decode()}\n\n\u2014 ")
        assert open_checkpoint(cp.note, signer.verifier()) == CheckpointBody(DEFAULT_ORIGIN, 7, root)
        assert (tmp_path / "cps" / "000000000007.checkpoint").read_text() == cp.note
        assert (tmp_path / "cps" / "latest.checkpoint").read_text() == cp.note
        assert log.checkpoints() == [cp]

    def test_successive_checkpoints_are_consistent(self, log: AuditLog, signer: Signer) -> None:
        """Each checkpoint extends the previous one (RFC 9162 consistency proof)."""
        c = Checkpointer(log, signer)
        sizes = []
        for chunk in (3, 5, 8):
            fill(log, chunk, sum(sizes[-1:]) if sizes else 0)
            sizes.append(c.checkpoint().size)
        cps = log.checkpoints()
        for old, new in itertools.pairwise(cps):
            proof = log.consistency_proof(old.size, new.size)
            assert proof.old_root == old.root and proof.new_root == new.root
            proof.verify()

    @pytest.mark.parametrize(
        "text",
        ["o\n1\n", "o\n01\nAAAA\n", "o\nx\nAAAA\n", "o\n1\n!!\n", "o\n1\nAAAA\n", "\n1\n" + "A" * 44 + "\n"],
    )
    def test_malformed_bodies(self, text: str) -> None:
        """Bodies without origin, a canonical size and a 32-byte base64 root are refused."""
        with pytest.raises(SignatureError):
            CheckpointBody.parse(text)


class TestNeverSignsAFork:
    """The checkpointer refuses to sign anything that does not extend what it signed."""

    def test_rewritten_history(self, log: AuditLog, signer: Signer) -> None:
        """History rewritten consistently (hashes, links, tree) blocks the next checkpoint."""
        c = Checkpointer(log, signer)
        fill(log, 8)
        c.checkpoint()
        fill(log, 4, 8)
        rewrite_history(log.engine, 3, {"i": 333})
        assert log.verify().ok is False  # the stored checkpoint no longer matches
        with pytest.raises(InconsistentCheckpointError, match="changed since checkpoint 8"):
            c.checkpoint()

    def test_edited_old_entry_is_caught_by_verify(self, log: AuditLog, signer: Signer) -> None:
        """An old entry edited without its hash leaves the signed tree intact: verify names it."""
        c = Checkpointer(log, signer)
        fill(log, 8)
        c.checkpoint()
        tamper(log.engine, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3")
        report = log.verify(verifier=signer.verifier())
        assert not report.ok and report.first_bad_seq == 3

    def test_tampered_new_entries(self, log: AuditLog, signer: Signer) -> None:
        """An entry added since the last checkpoint and then changed is not signed over."""
        c = Checkpointer(log, signer)
        fill(log, 4)
        c.checkpoint()
        fill(log, 4, 4)
        tamper(log.engine, "UPDATE audit_entries SET payload = '{\"i\":99}' WHERE seq = 6")
        with pytest.raises(InconsistentCheckpointError, match="seq 6"):
            c.checkpoint()

    def test_truncated_log(self, log: AuditLog, signer: Signer) -> None:
        """A log shorter than its last checkpoint is refused."""
        c = Checkpointer(log, signer)
        fill(log, 6)
        c.checkpoint()
        tamper(log.engine, "DELETE FROM audit_entries WHERE seq >= 4")
        with pytest.raises(InconsistentCheckpointError, match="truncated"):
            c.checkpoint()

    def test_foreign_stored_checkpoint(self, log: AuditLog, signer: Signer) -> None:
        """A stored checkpoint not signed by our key is not built upon."""
        fill(log, 3)
        Checkpointer(log, Signer.generate("intruder")).checkpoint()
        fill(log, 2, 3)
        with pytest.raises(InconsistentCheckpointError, match="signature"):
            Checkpointer(log, signer).checkpoint()

    def test_two_checkpointers_agree(self, log: AuditLog, signer: Signer) -> None:
        """Two checkpointers on one log build on each other's checkpoints."""
        a, b = Checkpointer(log, signer), Checkpointer(log, signer, clock=FakeClock(step=timedelta(seconds=1)))
        fill(log, 3)
        a.checkpoint()
        fill(log, 3, 3)
        assert b.checkpoint().size == 6
        assert [cp.size for cp in log.checkpoints()] == [3, 6]
