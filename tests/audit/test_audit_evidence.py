"""Content-addressed evidence stores, and verification noticing missing or altered files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from audit import (
    AuditLog,
    EvidenceCorruptError,
    EvidenceError,
    EvidenceNotFoundError,
    EvidenceStore,
    FileEvidenceStore,
    MemoryEvidenceStore,
)


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    """Both shipped stores behave alike."""
    return FileEvidenceStore(tmp_path / "ev") if request.param == "file" else MemoryEvidenceStore()


def record(log: AuditLog, store: EvidenceStore, data: bytes, label: str) -> str:
    ref = store.put(data, media_type="image/png")
    log.append("evidence.stored", actor="worker", action_id="req_1",
               payload={"kind": "screenshot", "sha256": ref.sha256, "size": ref.size, "label": label})
    return ref.sha256


class TestStores:
    """put / read / path / exists / verify."""

    def test_round_trip(self, store: EvidenceStore) -> None:
        """Bytes come back by their sha256; putting twice is harmless."""
        ref = store.put(b"png bytes", media_type="image/png")
        assert ref.sha256 == hashlib.sha256(b"png bytes").hexdigest() and ref.size == 9
        assert store.put(b"png bytes", media_type="image/png") == ref
        assert store.read(ref.sha256) == b"png bytes"
        assert store.exists(ref.sha256) and store.verify(ref.sha256)
        assert isinstance(store, EvidenceStore)

    def test_missing(self, store: EvidenceStore) -> None:
        """Unknown hashes are not found; malformed ones are refused."""
        sha = "0" * 64
        assert not store.exists(sha) and not store.verify(sha) and store.path(sha) is None
        with pytest.raises(EvidenceNotFoundError):
            store.read(sha)
        with pytest.raises(EvidenceError):
            store.exists("../../etc/passwd")

    def test_file_layout_and_corruption(self, tmp_path: Path) -> None:
        """Files live at root/ab/cdef...; a changed file fails verify and read."""
        store = FileEvidenceStore(tmp_path)
        ref = store.put(b"trace", media_type="application/zip")
        path = tmp_path / ref.sha256[:2] / ref.sha256[2:]
        assert store.path(ref.sha256) == path and path.read_bytes() == b"trace"
        assert not list(path.parent.glob(".tmp-*"))
        path.write_bytes(b"trace, edited")
        assert not store.verify(ref.sha256)
        with pytest.raises(EvidenceCorruptError):
            store.read(ref.sha256)
        store.put(b"trace", media_type="application/zip")  # re-putting repairs it
        assert store.verify(ref.sha256)


class TestVerifyEvidence:
    """log.verify(evidence) checks every file the log references."""

    def test_intact(self, log: AuditLog, store: EvidenceStore) -> None:
        """All referenced files present and intact: ok."""
        record(log, store, b"one", "after commit")
        record(log, store, b"two", "after verify")
        report = log.verify(store)
        assert report.ok and report.evidence_checked == 2

    def test_missing_and_altered(self, log: AuditLog, tmp_path: Path) -> None:
        """A deleted file and an edited file are both reported with their seq."""
        store = FileEvidenceStore(tmp_path / "ev")
        gone = record(log, store, b"one", "a")
        edited = record(log, store, b"two", "b")
        (tmp_path / "ev" / gone[:2] / gone[2:]).unlink()
        (tmp_path / "ev" / edited[:2] / edited[2:]).write_bytes(b"2")
        report = log.verify(store)
        assert not report.ok
        assert any(p.startswith("seq 0:") and "missing" in p for p in report.problems)
        assert any(p.startswith("seq 1:") and "altered" in p for p in report.problems)
