"""Content-addressed evidence: screenshots, traces, anything whose sha256 goes into the log.

``EvidenceStore`` is the Protocol; ``FileEvidenceStore`` keeps each blob at
``root/ab/cdef...`` (the sha256 split after two hex digits) written
atomically (temporary file, fsync, rename), and ``MemoryEvidenceStore`` is the
fake for tests. Verification re-hashes a file and compares it with its name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from audit.errors import EvidenceCorruptError, EvidenceError, EvidenceNotFoundError
from audit.models import EvidenceRef

__all__ = ["EvidenceStore", "FileEvidenceStore", "MemoryEvidenceStore"]

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def _check_sha(sha256: str) -> str:
    if not _SHA_RE.match(sha256):
        raise EvidenceError(f"not a lowercase hex sha256: {sha256!r}")
    return sha256


@runtime_checkable
class EvidenceStore(Protocol):
    """Where evidence bytes live, addressed by their sha256."""

    def put(self, data: bytes, *, media_type: str) -> EvidenceRef:
        """Store ``data`` (idempotent) and return its reference."""
        ...

    def read(self, sha256: str) -> bytes:
        """The bytes for ``sha256``; EvidenceNotFoundError or EvidenceCorruptError otherwise."""
        ...

    def path(self, sha256: str) -> Path | None:
        """A file path for the blob when the store has one."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob with that name is present (not whether it is intact)."""
        ...

    def verify(self, sha256: str) -> bool:
        """Whether the blob is present and still hashes to ``sha256``."""
        ...


class FileEvidenceStore:
    """Evidence files under ``root``, named by content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        sha = _check_sha(sha256)
        return self.root / sha[:2] / sha[2:]

    def put(self, data: bytes, *, media_type: str) -> EvidenceRef:
        """Write ``data`` under its sha256 unless an intact copy is already there."""
        sha = hashlib.sha256(data).hexdigest()
        ref = EvidenceRef(sha256=sha, size=len(data), media_type=media_type)
        target = self._path(sha)
        if target.exists() and self.verify(sha):
            return ref
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return ref

    def read(self, sha256: str) -> bytes:
        """The verified bytes of a blob."""
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceNotFoundError(f"no evidence {sha256}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceCorruptError(f"evidence {sha256} no longer matches its hash")
        return data

    def path(self, sha256: str) -> Path | None:
        """The file of a blob, or None when absent."""
        path = self._path(sha256)
        return path if path.is_file() else None

    def exists(self, sha256: str) -> bool:
        """Whether the file is present."""
        return self._path(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        """Re-hash the file (streamed) and compare with its name."""
        path = self._path(sha256)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            return False
        return digest.hexdigest() == sha256


class MemoryEvidenceStore:
    """An in-memory store for tests (``blobs`` is open for tampering)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes, *, media_type: str) -> EvidenceRef:
        """Keep ``data`` in memory."""
        sha = hashlib.sha256(data).hexdigest()
        self.blobs.setdefault(sha, bytes(data))
        return EvidenceRef(sha256=sha, size=len(data), media_type=media_type)

    def read(self, sha256: str) -> bytes:
        """The verified bytes of a blob."""
        try:
            data = self.blobs[_check_sha(sha256)]
        except KeyError as exc:
            raise EvidenceNotFoundError(f"no evidence {sha256}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceCorruptError(f"evidence {sha256} no longer matches its hash")
        return data

    def path(self, sha256: str) -> Path | None:
        """Memory blobs have no path."""
        return None

    def exists(self, sha256: str) -> bool:
        """Whether the blob is held."""
        return _check_sha(sha256) in self.blobs

    def verify(self, sha256: str) -> bool:
        """Whether the blob is held and intact."""
        data = self.blobs.get(_check_sha(sha256))
        return data is not None and hashlib.sha256(data).hexdigest() == sha256
