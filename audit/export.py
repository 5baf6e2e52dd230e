"""Export the log for auditors, and verify an export with nothing but the verifier key.

An export directory holds::

    entries.jsonl            one entry per line: its canonical JSON, including "hash"
    checkpoints/<size>.checkpoint   every signed checkpoint (C2SP signed notes)
    evidence-manifest.json   every evidence reference in the log (seq, sha256, size, kind, label)
    evidence/<sha256>        the evidence files themselves (only with include_evidence)

``verify_export`` trusts none of it: it checks every checkpoint signature,
seq 0..n-1 without gaps, every prev_hash link, every entry hash recomputed from
the line's bytes, the Merkle root at every checkpoint size, that any
checkpoint the auditor kept from earlier is a prefix of this log, and that the
manifest (and evidence files, when present) match the log.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from audit.engine import snapshot_connection
from audit.errors import ExportError, KeyMaterialError
from audit.evidence import EvidenceStore
from audit.log import AuditLog
from audit.models import VerifyReport, entry_body, entry_line
from audit.note import Verifier, load_verifier
from audit.verify import check_notes, evidence_refs_in, new_checker, report_from

__all__ = ["ExportSummary", "export", "verify_export"]

ENTRIES_FILE = "entries.jsonl"
CHECKPOINT_DIR = "checkpoints"
MANIFEST_FILE = "evidence-manifest.json"
EVIDENCE_DIR = "evidence"
FORMAT = "steward-audit-export/1"
_KEYS = {"action_id", "actor", "hash", "payload", "prev_hash", "seq", "ts", "type"}
_BATCH = 20_000


class ExportSummary(BaseModel):
    """What ``export`` wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    directory: str
    entries: int
    checkpoints: int
    evidence: int
    evidence_copied: int


def _rows(cursor: Any, mark: str) -> Iterator[tuple[Any, ...]]:
    last = -1
    sql = (
        "SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash FROM audit_entries "
        f"WHERE seq > {mark} ORDER BY seq LIMIT {_BATCH}"
    )
    while True:
        cursor.execute(sql, (last,))
        batch = cursor.fetchall()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def export(
    source: Engine | AuditLog,
    out_dir: Path,
    evidence: EvidenceStore | None = None,
    *,
    include_evidence: bool = False,
) -> ExportSummary:
    """Write the log, its checkpoints and an evidence manifest into ``out_dir`` (new or empty)."""
    engine = source.engine if isinstance(source, AuditLog) else source
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty; export into a new directory")
    (out_dir / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
    refs: list[dict[str, Any]] = []
    count = 0
    with snapshot_connection(engine) as conn, conn.begin():
        cursor = conn.connection.cursor()
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        cursor.execute("SELECT size, note FROM audit_checkpoints ORDER BY size")
        checkpoints = cursor.fetchall()
        for size, note in checkpoints:
            (out_dir / CHECKPOINT_DIR / f"{int(size):012d}.checkpoint").write_text(note, encoding="utf-8")
        with (out_dir / ENTRIES_FILE).open("w", encoding="utf-8", newline="\n") as fh:
            for seq, ts, typ, aid, actor, payload, prev, h in _rows(cursor, mark):
                fh.write(entry_line(entry_body(seq, ts, typ, aid, actor, payload, prev), h) + "\n")
                count += 1
                if typ == "evidence.stored":
                    try:
                        data = json.loads(payload)
                    except ValueError:
                        data = {}  # a damaged row: verification reports it
                    data = data if isinstance(data, dict) else {}
                    refs.append({
                        "seq": seq, "action_id": aid, "sha256": data.get("sha256"),
                        "size": data.get("size"), "kind": data.get("kind"), "label": data.get("label"),
                    })
        cursor.close()
    copied = 0
    for ref in refs:
        sha = ref["sha256"]
        ok = isinstance(sha, str) and evidence is not None and evidence.verify(sha)
        ref["intact"] = ok if evidence is not None else None
        if include_evidence and ok and evidence is not None:
            (out_dir / EVIDENCE_DIR).mkdir(exist_ok=True)
            src = evidence.path(sha)
            dst = out_dir / EVIDENCE_DIR / sha
            if src is not None:
                shutil.copyfile(src, dst)
            else:
                dst.write_bytes(evidence.read(sha))
            copied += 1
    manifest = {"format": FORMAT, "entries": count, "checkpoints": [int(s) for s, _ in checkpoints],
                "evidence": refs}
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return ExportSummary(directory=str(out_dir), entries=count, checkpoints=len(checkpoints),
                         evidence=len(refs), evidence_copied=copied)


def _body_of_line(line: str) -> tuple[dict[str, Any], bytes]:
    """Parse one entries.jsonl line; its body (UTF-8) is the line minus the hash member."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.keys() != _KEYS:
        raise ValueError("not an audit entry")
    cut = line.find(',"hash":"')
    end = cut + 9 + 64
    if cut < 0 or line[end : end + 2] != '",':
        raise ValueError("hash member not where canonical JSON puts it")
    return data, (line[: cut + 1] + line[end + 2 :]).encode("utf-8")


def verify_export(
    directory: Path,
    verifier_key: str | Path | Verifier,
    trusted_checkpoint: str | Path | None = None,
) -> VerifyReport:
    """Verify an export directory offline; see the module docstring."""
    directory = Path(directory)
    entries_path = directory / ENTRIES_FILE
    if not entries_path.is_file():
        raise ExportError(f"{directory} is not an audit export: {ENTRIES_FILE} is missing")
    verifier = verifier_key if isinstance(verifier_key, Verifier) else load_verifier(verifier_key)
    notes = [
        (f"checkpoint file {p.name}", p.read_text(encoding="utf-8"), None)
        for p in sorted((directory / CHECKPOINT_DIR).glob("*.checkpoint"))
        if p.name != "latest.checkpoint"
    ]
    if trusted_checkpoint is not None:
        text = str(trusted_checkpoint)
        if isinstance(trusted_checkpoint, Path) or "\n" not in text:
            try:
                text = Path(trusted_checkpoint).read_text(encoding="utf-8")
            except OSError as exc:
                raise KeyMaterialError(f"cannot read the trusted checkpoint: {exc}") from exc
        notes.append(("trusted checkpoint", text, None))
    checker = new_checker(*check_notes(notes, verifier))
    refs: list[tuple[int, str, int | None]] = []
    batch: list[tuple[int, str, str, bytes]] = []  # (seq, prev_hash, hash, body)
    with entries_path.open("r", encoding="utf-8", newline="\n") as fh:
        for line_no, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n")
            try:
                data, body = _body_of_line(line)
                seq, prev, h = data["seq"], data["prev_hash"], data["hash"]
                if not (isinstance(seq, int) and isinstance(prev, str) and isinstance(h, str)):
                    raise ValueError("bad field types")
            except ValueError as exc:
                checker.feed_bodies(batch)
                batch.clear()
                pos = checker.count
                checker.blame(pos, f"seq {pos}: line {line_no} of {ENTRIES_FILE} is malformed ({exc})")
                checker.feed(pos, "", "", hashlib.sha256(b"\x00" + line.encode("utf-8")).digest())
                continue
            batch.append((seq, prev, h, body))
            if len(batch) >= _BATCH:
                checker.feed_bodies(batch)
                batch.clear()
            if data["type"] == "evidence.stored":
                ref = evidence_refs_in(seq, json.dumps(data["payload"]))
                if ref is not None:
                    refs.append(ref)
    checker.feed_bodies(batch)
    checker.finish()
    extra = _check_manifest(directory, refs)
    return report_from(checker, signatures_checked=True, evidence_checked=len(refs), extra_problems=extra)


def _check_manifest(directory: Path, refs: list[tuple[int, str, int | None]]) -> list[str]:
    problems: list[str] = []
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        listed = {(int(r["seq"]), str(r["sha256"])) for r in manifest["evidence"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST_FILE} is missing or malformed: {exc}"]
    in_log = {(seq, sha) for seq, sha, _ in refs}
    for seq, sha in sorted(in_log - listed):
        problems.append(f"seq {seq}: evidence {sha} is in the log but not in {MANIFEST_FILE}")
    for seq, sha in sorted(listed - in_log):
        problems.append(f"{MANIFEST_FILE} lists evidence {sha} at seq {seq}, which the log does not")
    folder = directory / EVIDENCE_DIR
    if folder.is_dir():
        for seq, sha, _size in refs:
            path = folder / sha
            if not path.is_file():
                problems.append(f"seq {seq}: evidence file {sha} is missing from the export")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                problems.append(f"seq {seq}: evidence file {sha} was altered")
    return problems
