"""The tamper suite: every way of rewriting the log behind the database's back is detected.

One log of 3,000 entries (signed checkpoints every 500) is built per database;
each hypothesis example copies it, tampers with the copy with the append-only
triggers dropped, and checks that verification fails naming the first bad seq
(or, when the attacker rewrote everything consistently, the first bad
checkpoint). The same mutations are applied to an export's files and checked
offline with only the public key.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from _audit_support import PgSchemas, rewrite_history, tamper
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from audit import (
    AuditEntry,
    AuditLog,
    CheckpointBody,
    Checkpointer,
    Event,
    FakeClock,
    Signer,
    VerifyReport,
    export,
    install_schema,
    open_engine,
    verify_export,
)
from audit.checkpoint import DEFAULT_ORIGIN
from audit.merkle import merkle_root
from audit.models import entry_body, entry_leaf
from audit.note import sign_note

N = 3000
EVERY = 500
CHECKPOINTS = list(range(EVERY, N + 1, EVERY))
EXAMPLES = settings(
    max_examples=18, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def first_checkpoint_after(seq: int) -> int:
    return next(c for c in CHECKPOINTS if c > seq)


def build(engine: Engine, signer: Signer) -> None:
    """The same 3,000 entries on any database (a fake clock makes them byte-identical)."""
    install_schema(engine)
    log = AuditLog(engine, clock=FakeClock(step=timedelta(milliseconds=1)))
    cp = Checkpointer(log, signer)
    types = ("request.received", "policy.decided", "step.completed", "request.succeeded")
    for start in range(0, N, EVERY):
        log.append_many(
            Event(types[i % 4], f"agent:{i % 5}", {"m": f"entry-{i:06d}", "n": i}, f"req_{i // 4}")
            for i in range(start, start + EVERY)
        )
        cp.checkpoint()
    log.close()


@dataclass(frozen=True)
class Mutation:
    """One way to tamper, at seq ``k`` (and ``j`` for swaps)."""

    kind: str
    k: int
    j: int = 0
    field: str = "payload"


FIELDS = {
    "payload": "'{\"m\":\"forged\"}'", "actor": "'agent:mallory'", "type": "'request.failed'",
    "ts": "'2099-01-01T00:00:00.000Z'", "action_id": "'req_forged'", "prev_hash": f"'{'1' * 64}'",
    "hash": f"'{'2' * 64}'",
}
mutations = st.one_of(
    st.builds(Mutation, st.just("modify"), st.integers(0, N - 1), st.just(0), st.sampled_from(sorted(FIELDS))),
    st.builds(Mutation, st.sampled_from(["delete", "insert", "truncate", "rehash_one", "rewrite", "fork"]),
              st.integers(1, N - 1)),
    st.builds(Mutation, st.just("swap"), st.integers(0, N - 2), st.integers(1, 400)),
)


def _row(engine: Engine, seq: int) -> tuple[object, ...]:
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT seq, ts, type, action_id, actor, payload, prev_hash, hash FROM audit_entries "
            f"WHERE seq = {seq}"
        ).one()
    return tuple(row)


def _values(row: tuple[object, ...]) -> str:
    return "(" + ", ".join("NULL" if v is None else (str(v) if isinstance(v, int) else f"'{v}'") for v in row) + ")"


def apply(engine: Engine, m: Mutation, signer: Signer) -> tuple[int | None, int | None]:
    """Tamper with the database; return the (seq, checkpoint) verification must name."""
    k = m.k
    if m.kind == "modify":
        tamper(engine, f"UPDATE audit_entries SET {m.field} = {FIELDS[m.field]} WHERE seq = {k}")
        return k, None
    if m.kind == "delete":
        tamper(engine, f"DELETE FROM audit_entries WHERE seq = {k}")
        return k, None
    if m.kind == "truncate":
        tamper(engine, f"DELETE FROM audit_entries WHERE seq >= {k}", f"DELETE FROM audit_tree_nodes WHERE seq >= {k}")
        return k, first_checkpoint_after(k)
    if m.kind == "swap":
        j = min(k + m.j, N - 1)
        tamper(engine, f"UPDATE audit_entries SET seq = -1 WHERE seq = {k}",
               f"UPDATE audit_entries SET seq = {k} WHERE seq = {j}",
               f"UPDATE audit_entries SET seq = {j} WHERE seq = -1")
        return k, None
    if m.kind == "insert":
        prev = _row(engine, k - 1)[7]
        body = entry_body(k, "2025-01-01T00:00:00.000Z", "request.approved", "req_x", "operator:mallory",
                          '{"note":"inserted"}', str(prev))
        forged = (k, "2025-01-01T00:00:00.000Z", "request.approved", "req_x", "operator:mallory",
                  '{"note":"inserted"}', prev, entry_leaf(body).hex())
        tamper(engine, f"UPDATE audit_entries SET seq = -(seq + 1) WHERE seq >= {k}",
               "UPDATE audit_entries SET seq = -seq WHERE seq < 0",
               "INSERT INTO audit_entries (seq, ts, type, action_id, actor, payload, prev_hash, hash) "
               f"VALUES {_values(forged)}")
        return k, None
    if m.kind == "rehash_one":
        _, ts, typ, aid, actor, _, prev, _ = _row(engine, k)
        new_hash = entry_leaf(entry_body(k, str(ts), str(typ), aid if aid is None else str(aid), str(actor),
                                         '{"m":"rehashed"}', str(prev))).hex()
        tamper(engine, f"UPDATE audit_entries SET payload = '{{\"m\":\"rehashed\"}}', hash = '{new_hash}' "
               f"WHERE seq = {k}")
        return (k, None) if k < N - 1 else (None, N)
    # rewrite / fork: the attacker recomputes every hash, link and tree node from k on
    rewrite_history(engine, k, {"m": "rewritten"})
    if m.kind == "fork":  # ...and, holding the key, re-signs fresh checkpoints over the forgery
        tamper(engine, "DELETE FROM audit_checkpoints")
        log = AuditLog(engine)
        Checkpointer(log, signer).checkpoint()
        log.close()
        return None, N  # the auditor's off-host checkpoint (size N) exposes it
    return None, first_checkpoint_after(k)


def check(report: VerifyReport, expected: tuple[int | None, int | None]) -> None:
    seq, cp = expected
    assert not report.ok
    if seq is not None:
        assert report.first_bad_seq == seq, report.problems[:5]
    if cp is not None:
        assert report.first_bad_checkpoint == cp, report.problems[:5]


@pytest.fixture(scope="module")
def key() -> Signer:
    """The log's signing key (the fork attacker holds it too)."""
    return Signer.generate("tamper-suite")


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, key: Signer) -> Path:
    """A SQLite file holding the 3,000-entry log (WAL folded into the main file)."""
    path = tmp_path_factory.mktemp("tamper") / "template.db"
    engine = open_engine(f"sqlite:///{path}")
    build(engine, key)
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    assert not path.with_name(path.name + "-wal").exists() or path.with_name(path.name + "-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="module")
def held(sqlite_template: Path) -> str:
    """The checkpoint the auditor shipped off-host: size N (both templates have the same shape)."""
    engine = open_engine(f"sqlite:///{sqlite_template}")
    log = AuditLog(engine)
    latest = log.latest_checkpoint()
    engine.dispose()
    assert latest is not None and latest.size == N
    return latest.note


@pytest.fixture(scope="module")
def pg_template(key: Signer) -> Iterator[tuple[PgSchemas, str]]:
    """A PostgreSQL schema holding the 3,000-entry log."""
    schemas = PgSchemas()
    try:
        engine = open_engine(schemas.new("tpl"))
        build(engine, key)
        engine.dispose()
        yield schemas, schemas.names[-1]
    finally:
        schemas.close()


@contextmanager
def sqlite_copy(template: Path) -> Iterator[Engine]:
    """A private copy of the template file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.db"
        shutil.copyfile(template, path)
        engine = open_engine(f"sqlite:///{path}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def pg_copy(schemas: PgSchemas, template: str) -> Iterator[Engine]:
    """A private schema with the audit tables, triggers and the template's rows."""
    url = schemas.new("cp")
    name = schemas.names[-1]
    engine = open_engine(url)
    try:
        install_schema(engine)
        with engine.begin() as conn:
            for table in ("audit_entries", "audit_tree_nodes", "audit_checkpoints"):
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                conn.exec_driver_sql(f'INSERT INTO {table} SELECT * FROM "{template}".{table}')
        install_schema(engine)  # switches the triggers back on (ENABLE ALWAYS)
        yield engine
    finally:
        engine.dispose()
        schemas.drop(name)


def live_report(engine: Engine, key: Signer, held: str) -> VerifyReport:
    log = AuditLog(engine)
    try:
        return log.verify(verifier=key.verifier(), trusted=[held])
    finally:
        log.close()


class TestLiveDatabases:
    """Tampering with the database, behind the triggers."""

    def test_untampered_copies_verify(self, sqlite_template: Path, pg_template: tuple[PgSchemas, str],
                                      key: Signer, held: str) -> None:
        """The copies themselves verify: no false alarms."""
        with sqlite_copy(sqlite_template) as engine:
            report = live_report(engine, key, held)
            assert report.ok and report.entries == N and report.checkpoints == len(CHECKPOINTS) + 1
        with pg_copy(*pg_template) as engine:
            assert live_report(engine, key, held).ok

    @given(mutations)
    @EXAMPLES
    def test_sqlite(self, sqlite_template: Path, key: Signer, held: str, m: Mutation) -> None:
        """Every SQLite tampering is detected and located."""
        with sqlite_copy(sqlite_template) as engine:
            expected = apply(engine, m, key)
            check(live_report(engine, key, held), expected)

    @pytest.mark.postgres
    @given(mutations)
    @EXAMPLES
    def test_postgres(self, pg_template: tuple[PgSchemas, str], key: Signer, held: str, m: Mutation) -> None:
        """Every PostgreSQL tampering is detected and located."""
        with pg_copy(*pg_template) as engine:
            expected = apply(engine, m, key)
            check(live_report(engine, key, held), expected)

    @given(st.integers(0, N - 1), st.integers(0, 5))
    @settings(max_examples=8, deadline=None, database=None)
    def test_sqlite_file_bytes(self, sqlite_template: Path, key: Signer, held: str, k: int, at: int) -> None:
        """Editing bytes of the SQLite file directly (no SQL at all) is detected at that seq."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "copy.db"
            data = bytearray(sqlite_template.read_bytes())
            marker = b'"m":"entry-%06d"' % k
            where = data.find(marker)
            assert where > 0 and data.find(marker, where + 1) < 0
            data[where + 6 + at] ^= 0x01  # one bit inside the marker's text
            path.write_bytes(bytes(data))
            engine = open_engine(f"sqlite:///{path}")
            try:
                check(live_report(engine, key, held), (k, first_checkpoint_after(k)))
            finally:
                engine.dispose()


@pytest.fixture(scope="module")
def export_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of the 3,000-entry log."""
    out = tmp_path_factory.mktemp("tamper-export") / "x"
    engine = open_engine(f"sqlite:///{sqlite_template}")
    export(engine, out)
    engine.dispose()
    return out


def _forged_line(seq: int, prev: str) -> str:
    e = AuditEntry(seq=seq, ts="2025-01-01T00:00:00.000Z", type="request.approved", action_id="req_x",
                   actor="operator:mallory", payload={"note": "inserted"}, prev_hash=prev, hash="")
    return e.model_copy(update={"hash": e.computed_hash()}).to_line()


def mutate_lines(lines: list[str], m: Mutation) -> tuple[int | None, int | None]:
    """The same attacks, on an export's entries.jsonl."""
    k = m.k
    if m.kind == "modify":
        lines[k] = lines[k].replace('"m":"entry-', '"m":"entrY-')
        return k, first_checkpoint_after(k)
    if m.kind == "delete":
        del lines[k]
        return k, None
    if m.kind == "truncate":
        del lines[k:]
        return k, first_checkpoint_after(k)
    if m.kind == "swap":
        j = min(k + m.j, N - 1)
        lines[k], lines[j] = lines[j], lines[k]
        return k, None
    if m.kind == "insert":
        lines.insert(k, _forged_line(k, json.loads(lines[k - 1])["hash"]))
        return k, None
    # rehash_one / rewrite / fork: recompute line k (and, beyond rehash_one, every later line)
    last = k if m.kind == "rehash_one" else N - 1
    prev = json.loads(lines[k - 1])["hash"]
    for i in range(k, last + 1):
        data = json.loads(lines[i])
        data.update(prev_hash=prev, hash="")
        if i == k:
            data["payload"] = {"m": "rewritten"}
        entry = AuditEntry(**data)
        prev = entry.computed_hash()
        lines[i] = entry.model_copy(update={"hash": prev}).to_line()
    if m.kind == "rehash_one":
        return (k, None) if k < N - 1 else (None, N)
    if m.kind == "fork":
        return None, N  # the export's own checkpoints get re-signed by the caller
    return None, first_checkpoint_after(k)


def resign(directory: Path, lines: list[str], key: Signer) -> None:
    """The fork attacker holds the key: replace the export's checkpoints by fresh ones."""
    for old in (directory / "checkpoints").glob("*.checkpoint"):
        old.unlink()
    root = merkle_root(bytes.fromhex(json.loads(line)["hash"]) for line in lines)
    note = sign_note(CheckpointBody(DEFAULT_ORIGIN, len(lines), root).text(), key)
    (directory / "checkpoints" / f"{len(lines):012d}.checkpoint").write_text(note)


class TestExports:
    """Tampering with an export's files, verified offline with only the public key."""

    @given(mutations)
    @settings(max_examples=25, deadline=None, database=None)
    def test_offline(self, export_template: Path, key: Signer, held: str, m: Mutation) -> None:
        """Every edit of entries.jsonl is detected and located."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "x"
            shutil.copytree(export_template, out)
            path = out / "entries.jsonl"
            lines = path.read_text().splitlines()
            if m.kind == "modify" and m.field != "payload":
                m = Mutation("modify", m.k)
            expected = mutate_lines(lines, m)
            path.write_text("\n".join(lines) + "\n")
            if m.kind == "fork":
                resign(out, lines, key)
            trusted = held if m.kind == "fork" else None
            check(verify_export(out, key.verifier(), trusted), expected)

    def test_untampered_export_verifies(self, export_template: Path, key: Signer, held: str) -> None:
        """The export itself verifies, with the held checkpoint as a prefix."""
        report = verify_export(export_template, key.verifier(), held)
        assert report.ok and report.entries == N
