"""The database itself refuses to rewrite the audit tables (SQLite and PostgreSQL triggers)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from audit import AuditLog, Checkpointer, Signer, install_schema, open_engine
from audit.models import ZERO_HASH

ROW = "INSERT INTO audit_entries (seq, ts, type, action_id, actor, payload, prev_hash, hash) VALUES "


def _refused(engine: Engine, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(sql)


@pytest.fixture
def filled(log: AuditLog, signer: Signer) -> AuditLog:
    """A log with a few entries, tree nodes and a checkpoint."""
    for i in range(6):
        log.append("a.b", actor="x", payload={"i": i})
    Checkpointer(log, signer).checkpoint()
    return log


class TestCommonTriggers:
    """Refusals on both databases."""

    def test_update_refused(self, filled: AuditLog) -> None:
        """UPDATE of an entry is refused."""
        _refused(filled.engine, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2")

    def test_delete_refused(self, filled: AuditLog) -> None:
        """DELETE of an entry, or of all of them, is refused."""
        _refused(filled.engine, "DELETE FROM audit_entries WHERE seq = 5")
        _refused(filled.engine, "DELETE FROM audit_entries")

    def test_gap_insert_refused(self, filled: AuditLog) -> None:
        """An insert that skips a seq is refused."""
        _refused(filled.engine, ROW + f"(9, 't', 'a.b', NULL, 'x', '{{}}', '{ZERO_HASH}', '{ZERO_HASH}')")

    def test_unlinked_insert_refused(self, filled: AuditLog) -> None:
        """An insert at the right seq whose prev_hash does not link is refused."""
        _refused(filled.engine, ROW + f"(6, 't', 'a.b', NULL, 'x', '{{}}', '{ZERO_HASH}', '{ZERO_HASH}')")

    def test_tree_and_checkpoints_append_only(self, filled: AuditLog) -> None:
        """Tree nodes and checkpoints can be neither changed nor deleted."""
        _refused(filled.engine, "DELETE FROM audit_tree_nodes")
        _refused(filled.engine, "UPDATE audit_checkpoints SET root = 'x'")
        _refused(filled.engine, "DELETE FROM audit_checkpoints")

    def test_checkpoint_sizes_only_grow(self, filled: AuditLog) -> None:
        """A checkpoint row for a smaller or unknown size is refused."""
        _refused(
            filled.engine,
            "INSERT INTO audit_checkpoints (size, root, origin, signed_at, note) VALUES (3, 'r', 'o', 't', 'n')",
        )
        _refused(
            filled.engine,
            "INSERT INTO audit_checkpoints (size, root, origin, signed_at, note) VALUES (99, 'r', 'o', 't', 'n')",
        )

    def test_refusals_leave_the_log_intact(self, filled: AuditLog) -> None:
        """After all those attempts the log still verifies."""
        for sql in ("UPDATE audit_entries SET actor = 'm'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError), filled.engine.begin() as conn:
                conn.exec_driver_sql(sql)
        assert filled.verify().ok

    def test_install_is_idempotent(self, filled: AuditLog) -> None:
        """Installing again changes nothing and keeps the data."""
        install_schema(filled.engine)
        install_schema(filled.engine)
        assert filled.size() == 6 and filled.verify().ok


class TestSqlite:
    """SQLite-only refusals."""

    @pytest.fixture
    def sq(self, tmp_path: Path) -> Iterator[Engine]:
        engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
        install_schema(engine)
        log = AuditLog(engine)
        for i in range(3):
            log.append("a.b", actor="x", payload={"i": i})
        log.close()
        yield engine
        engine.dispose()

    def test_insert_or_replace_refused(self, sq: Engine) -> None:
        """INSERT OR REPLACE on an existing seq cannot swap an entry."""
        _refused(sq, ROW.replace("INSERT", "INSERT OR REPLACE") + "(1, 't', 'a.b', NULL, 'x', '{}', 'p', 'h')")

    def test_upsert_refused(self, sq: Engine) -> None:
        """INSERT ... ON CONFLICT DO UPDATE cannot rewrite an entry."""
        _refused(sq, ROW + "(1, 't', 'a.b', NULL, 'x', '{}', 'p', 'h') ON CONFLICT(seq) DO UPDATE SET actor = 'm'")

    def test_out_of_order_insert_refused(self, sq: Engine) -> None:
        """An insert below the head is refused."""
        _refused(sq, ROW + "(0, 't', 'a.b', NULL, 'x', '{}', 'p', 'h')")

    def test_concurrent_install(self, tmp_path: Path) -> None:
        """Two installers racing on a fresh file both succeed."""
        url = f"sqlite:///{tmp_path / 'race.db'}"
        engines = [open_engine(url) for _ in range(3)]
        errors: list[BaseException] = []

        def run(e: Engine) -> None:
            try:
                install_schema(e)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert inspect(engines[0]).has_table("audit_entries")
        for e in engines:
            e.dispose()


@pytest.mark.postgres
class TestPostgres:
    """PostgreSQL-only refusals."""

    @pytest.fixture
    def pg(self, pg_url: str) -> Iterator[Engine]:
        engine = open_engine(pg_url)
        install_schema(engine)
        log = AuditLog(engine)
        for i in range(3):
            log.append("a.b", actor="x", payload={"i": i})
        log.close()
        yield engine
        engine.dispose()

    def test_truncate_refused(self, pg: Engine) -> None:
        """TRUNCATE is refused by the statement trigger."""
        _refused(pg, "TRUNCATE audit_entries")
        _refused(pg, "TRUNCATE audit_checkpoints")

    def test_replica_role_does_not_disable_triggers(self, pg: Engine) -> None:
        """The triggers are ENABLE ALWAYS: session_replication_role = replica does not bypass them."""
        with pytest.raises(DBAPIError, match="append-only"), pg.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("UPDATE audit_entries SET actor = 'm'")
        with pg.connect() as conn:
            states = conn.execute(
                text("SELECT DISTINCT tgenabled FROM pg_trigger WHERE tgname LIKE 'audit_%'")
            ).scalars().all()
        assert states == ["A"]

    def test_concurrent_install(self, pg_url: str) -> None:
        """Installers racing on an empty schema all succeed."""
        engines = [open_engine(pg_url) for _ in range(3)]
        errors: list[BaseException] = []

        def run(e: Engine) -> None:
            try:
                install_schema(e)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for e in engines:
            e.dispose()
