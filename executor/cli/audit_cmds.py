"""``steward audit ...``: verify, inspect, export and sign the audit log.

Key discovery for the live database (under ``STEWARD_HOME``, default ./.steward):
``keys/audit.key`` signs checkpoints (created by ``checkpoint`` when absent),
``keys/audit.pub`` verifies them, ``keys/pii.key`` is the PII HMAC key;
checkpoints are also written to ``checkpoints/`` and evidence lives in
``evidence/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from executor.cli._common import DbOption, JsonOption, emit_json, fail, friendly_errors, resolve_db
from executor.config import Settings

if TYPE_CHECKING:
    from audit import AuditLog, Verifier
    from audit.models import VerifyReport
    from executor.audit_keys import VerifierKey

# The audit package and SQLAlchemy load inside each command: `steward --help` needs neither.
__all__ = ["app"]

app = typer.Typer(
    name="audit",
    help="Verify, inspect, export and sign the tamper-evident audit log.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
PII_KEY_FILE = "pii.key"


@contextmanager
def _log(db: str | None) -> Iterator[AuditLog]:
    """The audit log of an existing database (never creates one by accident)."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from audit import AuditError, AuditLog, open_engine
    from audit.errors import one_line

    url = resolve_db(db)
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists():
        fail(f"no database at {database}")
    engine = open_engine(url)
    try:
        if not inspect(engine).has_table("audit_entries"):
            fail("this database has no audit log (audit_entries is missing)")
        log = AuditLog(engine)
        try:
            yield log
        finally:
            log.close()
    except (AuditError, SQLAlchemyError) as exc:
        fail(one_line(exc))  # one line, even for multi-line driver messages
    finally:
        engine.dispose()


def _verifier(key: str | None, settings: Settings) -> Verifier | None:
    from audit import load_verifier
    from executor.audit_keys import find_verifier

    if key:
        return load_verifier(key)
    found = find_verifier(settings)
    if found.error and found.source != "none":
        fail(found.error)
    return found.verifier


def _finish(report: VerifyReport, as_json: bool, key: VerifierKey | None = None) -> None:
    if as_json:
        emit_json({**report.model_dump(), **({"verifier": key.public()} if key else {})})
        if not report.ok:
            raise typer.Exit(1)
        return
    if report.ok:
        typer.echo(report.summary())
        if key is not None:
            typer.echo(key.describe())
        return
    for problem in report.problems:
        typer.echo(f"  {problem}")
    if key is not None:
        typer.echo(f"  ({key.describe()})")
    fail(report.summary())


@app.command()
@friendly_errors
def verify(
    db: DbOption = None,
    export_dir: Annotated[
        Path | None, typer.Option("--export", help="Verify an export directory offline instead.")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Verifier key string or file ($STEWARD_VERIFIER_KEY, else keys/audit.pub)."),
    ] = None,
    trusted_checkpoint: Annotated[
        Path | None, typer.Option("--trusted-checkpoint", help="A checkpoint kept off-host: must be a prefix.")
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option("--witness", help="A witness folder: the log must contain every checkpoint in it as a prefix."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the whole log; exit 1 naming the first bad seq or checkpoint.

    Checkpoint signatures are checked with the verifier key; a log with signed
    checkpoints and no usable key fails (the signatures could not be checked).
    """
    from audit import FileEvidenceStore, witness_notes
    from audit.export import verify_export
    from executor.audit_keys import find_verifier, judge

    settings = Settings()
    trusted: list[str | tuple[str, str]] = []
    if trusted_checkpoint:
        trusted.append(trusted_checkpoint.read_text(encoding="utf-8"))
    if witness is not None:
        trusted += witness_notes(witness)
    if export_dir is not None:
        if not key:
            fail("offline verification needs the verifier key: --key KEY_OR_FILE")
        if witness is not None:
            fail("--witness checks the live log; for an export use --trusted-checkpoint FILE")
        note = trusted[0] if trusted and isinstance(trusted[0], str) else None
        _finish(verify_export(export_dir, key, note), as_json)
        return
    found = find_verifier(settings, key)
    evidence = FileEvidenceStore(settings.evidence_dir) if settings.evidence_dir.is_dir() else None
    with _log(db) as log:
        report = log.verify(evidence, verifier=found.verifier, trusted=trusted)
    _finish(judge(report, found), as_json, found)


@app.command()
@friendly_errors
def show(
    action_id: Annotated[str, typer.Argument(metavar="ID", help="Action request id.")],
    db: DbOption = None,
    key: Annotated[str | None, typer.Option("--key", help="Verifier key (default: keys/audit.pub).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The readable timeline of one action, with its inclusion-proof status."""
    from audit.timeline import action_timeline, format_timeline

    with _log(db) as log:
        timeline = action_timeline(log, action_id, verifier=_verifier(key, Settings()))
    if not timeline.entries:
        fail(f"no audit entries for action {action_id}")
    if as_json:
        emit_json(timeline.model_dump())
    else:
        typer.echo(format_timeline(timeline))


@app.command("export")
@friendly_errors
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="New or empty directory to write.")],
    db: DbOption = None,
    include_evidence: Annotated[
        bool, typer.Option("--include-evidence", help="Copy the evidence files too.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write entries.jsonl, checkpoints/ and evidence-manifest.json for offline verification."""
    from audit import FileEvidenceStore
    from audit.export import export  # the function: ``audit.export`` may already name the submodule

    settings = Settings()
    evidence = FileEvidenceStore(settings.evidence_dir) if settings.evidence_dir.is_dir() else None
    with _log(db) as log:
        summary = export(log, out, evidence, include_evidence=include_evidence)
    if as_json:
        emit_json(summary.model_dump())
        return
    typer.echo(
        f"exported {summary.entries} entries, {summary.checkpoints} checkpoints and "
        f"{summary.evidence} evidence references to {out}"
    )
    typer.echo(f"verify offline: steward audit verify --export {out} --key <verifier key>")


@app.command()
@friendly_errors
def checkpoint(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Sign a checkpoint of the log now (creates keys/audit.key on first use)."""
    from audit import Checkpointer, keygen, load_signer
    from audit.note import PRIVATE_KEY_FILE

    settings = Settings()
    key_path = settings.key_dir / PRIVATE_KEY_FILE
    if key_path.exists():
        signer = load_signer(key_path)
    else:
        signer = keygen(settings.key_dir)
        typer.echo(f"created signing key {key_path}; verifier key: {signer.verifier().key_string}", err=True)
    with _log(db) as log:
        cp = Checkpointer(log, signer, out_dir=settings.checkpoint_dir).checkpoint()
    if as_json:
        emit_json(cp.model_dump())
        return
    typer.echo(cp.note, nl=False)
    typer.echo(f"stored in the database and in {settings.checkpoint_dir / cp.file_name}")


@app.command("keygen")
@friendly_errors
def keygen_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Key directory (default: keys/).")] = None,
    name: Annotated[str, typer.Option("--name", help="Key name in signatures.")] = "steward-audit",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing key.")] = False,
) -> None:
    """Create the checkpoint signing key pair (and the PII key if missing); print the verifier key."""
    from audit import keygen, load_or_create_pii_key
    from audit.note import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE

    directory = out or Settings().key_dir
    signer = keygen(directory, name, overwrite=force)
    load_or_create_pii_key(directory / PII_KEY_FILE)
    typer.echo(f"private key: {directory / PRIVATE_KEY_FILE} (keep it secret)")
    typer.echo(f"public key:  {directory / PUBLIC_KEY_FILE}")
    typer.echo(signer.verifier().key_string)


def _latest_signed(log: AuditLog, key: str | None) -> tuple[int, bytes, str]:
    from audit import open_checkpoint

    latest = log.latest_checkpoint()
    if latest is None:
        fail("no checkpoint yet; sign one with: steward audit checkpoint")
    verifier = _verifier(key, Settings())
    body = open_checkpoint(latest.note, verifier)
    return body.size, body.root, "verified" if verifier else "not checked (no verifier key)"


@app.command()
@friendly_errors
def proof(
    seq: Annotated[int, typer.Argument(help="Entry seq.")],
    db: DbOption = None,
    key: Annotated[str | None, typer.Option("--key", help="Verifier key (default: keys/audit.pub).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Inclusion proof of entry SEQ in the latest signed checkpoint, verified."""
    from audit import InvalidProofError, verify_inclusion

    with _log(db) as log:
        size, root, signature = _latest_signed(log, key)
        if not 0 <= seq < size:
            fail(f"seq {seq} is not covered by the latest checkpoint (size {size}); run: steward audit checkpoint")
        entry = log.get(seq)
        p = log.inclusion_proof(seq, size)
    data: dict[str, Any] = {
        **p.model_dump(), "root": root.hex(), "entry_hash": entry.computed_hash(),
        "checkpoint_signature": signature, "verified": True,
    }
    try:  # from the entry's recomputed hash to the *signed* root
        leaf = bytes.fromhex(entry.computed_hash())
        verify_inclusion(leaf, seq, size, [bytes.fromhex(h) for h in p.path], root)
    except InvalidProofError as exc:
        data.update(verified=False, error=str(exc))
    if as_json:
        emit_json(data)
    else:
        typer.echo(f"entry {seq} ({entry.type}) leaf {entry.computed_hash()}")
        typer.echo(f"checkpoint size {size} root {root.hex()} (signature {signature})")
        for i, h in enumerate(p.path):
            typer.echo(f"  proof[{i}] {h}")
    if not data["verified"]:
        fail(f"inclusion proof of seq {seq} does NOT verify: {data.get('error')}")
    if not as_json:
        typer.echo("inclusion proof verified (RFC 9162 2.1.3.2)")


@app.command()
@friendly_errors
def consistency(
    old: Annotated[int, typer.Argument(metavar="OLD", help="Older tree size.")],
    new: Annotated[int, typer.Argument(metavar="NEW", help="Newer tree size.")],
    db: DbOption = None,
    key: Annotated[str | None, typer.Option("--key", help="Verifier key (default: keys/audit.pub).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Consistency proof that the log at NEW entries extends the log at OLD entries."""
    from audit import open_checkpoint, verify_consistency

    with _log(db) as log:
        p = log.consistency_proof(old, new)
        verifier = _verifier(key, Settings())
        signed = {c.size: open_checkpoint(c.note, verifier).root for c in log.checkpoints()
                  if c.size in (old, new)}
    old_root = signed.get(old, bytes.fromhex(p.old_root))
    new_root = signed.get(new, bytes.fromhex(p.new_root))
    verify_consistency(old, new, [bytes.fromhex(h) for h in p.path], old_root, new_root)
    data = {**p.model_dump(), "signed_sizes": sorted(signed), "verified": True}
    if as_json:
        emit_json(data)
        return
    typer.echo(f"size {old} root {old_root.hex()}" + (" (signed)" if old in signed else ""))
    typer.echo(f"size {new} root {new_root.hex()}" + (" (signed)" if new in signed else ""))
    for i, h in enumerate(p.path):
        typer.echo(f"  proof[{i}] {h}")
    typer.echo("consistency proof verified (RFC 9162 2.1.4.2)")


@app.command("hash")
@friendly_errors
def hash_cmd(
    field: Annotated[str, typer.Argument(metavar="FIELD", help="PII field name, e.g. email.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The known value to check.")],
    json_value: Annotated[bool, typer.Option("--json-value", help="Parse VALUE as JSON.")] = False,
) -> None:
    """Print the HMAC the log stores for FIELD=VALUE (search the log for it)."""
    from audit import hash_value, load_pii_key

    key = load_pii_key(Settings().key_dir / PII_KEY_FILE)
    typer.echo(hash_value(field, json.loads(value) if json_value else value, key))


@app.command()
@friendly_errors
def affected(
    since: Annotated[str, typer.Option("--since", help="Window start, ISO-8601 (UTC if no offset).")],
    until: Annotated[str | None, typer.Option("--until", help="Window end (default: now).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every action that changed records in [since, until): action, params, outcome, values, evidence."""
    from audit import format_ts, parse_ts
    from audit.timeline import affected_actions, format_affected

    start = format_ts(parse_ts(since))
    end = format_ts(parse_ts(until)) if until else "9999-12-31T23:59:59.999Z"
    with _log(db) as log:
        found = affected_actions(log, start, end, action=action, target=target)
    if as_json:
        emit_json({"since": start, "until": end, "actions": [a.model_dump() for a in found]})
    else:
        typer.echo(format_affected(found))
