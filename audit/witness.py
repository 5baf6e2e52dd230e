"""A witness folder: every signed checkpoint, kept where whoever can rewrite the database cannot.

The log's own checkpoints live in its database and in ``checkpoint_dir`` on
the same host; an attacker with both can truncate the log and delete the
checkpoints that covered the lost tail. A witness folder (on another host, a
write-once bucket mount, an auditor's machine) receives each checkpoint as it
is signed, so the entries up to the newest witnessed checkpoint stay provable.

Files are ``<size, 12 digits>.checkpoint``, the signed note as is. A witness
keeps the first note it got for each size: a second, different note for the
same size is refused (it would be a forked log) and the first stays.
``witness_notes`` reads the folder back for ``verify`` (``trusted`` notes:
the log must contain every witnessed tree as a prefix).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from audit.errors import InconsistentCheckpointError
from audit.models import Checkpoint

__all__ = ["WITNESS_SUFFIX", "witness_notes", "write_witness_file"]

WITNESS_SUFFIX = ".checkpoint"


def write_witness_file(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint``'s note as ``<size>.checkpoint`` (atomic; never replaces a different note)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / checkpoint.file_name
    if target.exists():
        if target.read_text(encoding="utf-8") == checkpoint.note:
            return target
        raise InconsistentCheckpointError(
            f"the witness already holds a different checkpoint {checkpoint.size} ({target}): "
            "two roots signed for one size means a forked log; the witness keeps the first"
        )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=WITNESS_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(checkpoint.note)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def witness_notes(directory: Path) -> list[tuple[str, str]]:
    """``(label, note)`` for every checkpoint in a witness folder, oldest first.

    ``latest.checkpoint`` (a copy kept by checkpoint folders) is skipped. An
    empty or missing folder is an error: verifying against a witness that
    holds nothing would prove nothing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InconsistentCheckpointError(f"no witness folder at {directory}")
    files = sorted(p for p in directory.glob(f"*{WITNESS_SUFFIX}") if p.name != f"latest{WITNESS_SUFFIX}")
    if not files:
        raise InconsistentCheckpointError(f"the witness folder {directory} holds no checkpoints")
    return [(f"witnessed checkpoint {p.name}", p.read_text(encoding="utf-8")) for p in files]
