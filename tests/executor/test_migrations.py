"""Schema migrations: a new database is initialised, anything else must be current or upgraded on purpose."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest
import sqlalchemy as sa

from audit import load_verifier, open_engine
from executor.errors import SchemaMismatch
from executor.store.migrate import HEAD, SCHEMA_TABLES, VERSION_TABLE, ensure_schema, status
from tests.helpers import settings_for

RELEASE_010 = Path(__file__).parent / "data" / "release-0.1.0"


def _steward(db_url: str, home: Path) -> Any:
    from executor.service import Steward

    return Steward(settings_for(db_url, home))


def _load_release_010(db_url: str, home: Path) -> Path:
    """Fill the empty database at ``db_url`` with release 0.1.0's history and ``home`` with its keys.

    Returns the checkpoint verifier key.
    """
    kind = "sqlite" if db_url.startswith("sqlite") else "postgres"
    shutil.copytree(RELEASE_010 / f"{kind}-keys", home / "keys")
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
            conn.executescript((RELEASE_010 / "sqlite.sql").read_text())
        return home / "keys" / "audit.pub"
    match = re.search(r"search_path%3D(\w+)", db_url)
    assert match, db_url
    dump = (RELEASE_010 / "postgres.sql").read_text().replace("previous_release", match.group(1))
    plain = unquote(db_url.split("?", 1)[0]).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(dump.encode())  # type: ignore[call-overload]
    return home / "keys" / "audit.pub"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from executor.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=False)


class TestNewDatabase:
    def test_initialised_at_start(self, db_url: str, tmp_path: Path) -> None:
        """A brand-new database gets every table at the newest revision when Steward starts."""
        steward = _steward(db_url, tmp_path / "home")
        try:
            found = status(steward.engine)
            assert found.revision == HEAD and found.current
            assert found.tables >= SCHEMA_TABLES and VERSION_TABLE in found.tables
        finally:
            steward.close()

    def test_head_is_the_newest_revision_file(self) -> None:
        """HEAD names the newest migration, so a new revision cannot be forgotten there."""
        from alembic.script import ScriptDirectory

        from executor.store.migrate import _config

        assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD

    def test_migrations_build_the_models(self, db_url: str) -> None:
        """The migrated schema is exactly the tables the code declares (no drift between them)."""
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        from audit.schema import metadata as audit_metadata
        from executor.apikeys import metadata as keys_metadata
        from executor.store.tables import metadata as store_metadata

        engine = open_engine(db_url)
        try:
            ensure_schema(engine)
            combined = sa.MetaData()
            for source in (audit_metadata, keys_metadata, store_metadata):
                for table in source.tables.values():
                    table.to_metadata(combined)
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
                diff = compare_metadata(context, combined)
            assert diff == []
        finally:
            engine.dispose()


class TestUpgradeFromRelease010:
    def test_refused_until_upgraded(self, db_url: str, tmp_path: Path) -> None:
        """A database written before migrations is not used until `steward db upgrade` adopts it."""
        _load_release_010(db_url, tmp_path / "home")
        with pytest.raises(SchemaMismatch, match="steward db upgrade"):
            _steward(db_url, tmp_path / "home")
        current = _cli("db", "current", "--db", db_url)
        assert current.returncode == 1 and "(none)" in current.stdout

    def test_upgrade_keeps_history_and_log(self, db_url: str, tmp_path: Path) -> None:
        """After the upgrade every request, the engaged halt and the signed log are intact and verify."""
        key = _load_release_010(db_url, tmp_path / "home")
        result = _cli("db", "upgrade", "--db", db_url)
        assert result.returncode == 0, result.stderr
        assert f"to revision {HEAD}" in result.stdout
        assert _cli("db", "upgrade", "--db", db_url).stdout.strip() == f"already at revision {HEAD}"
        steward = _steward(db_url, tmp_path / "home")
        try:
            states = sorted(r.state.value for r in steward.store.recent())
            assert states == ["denied", "queued", "queued", "rejected"]  # approved, confirmed, forbidden, denied
            assert [s.scope for s in steward.store.kill_switches()] == ["global"]
            report = steward.audit.verify(verifier=load_verifier(key))
            assert report.ok and report.signatures_checked and report.checkpoints >= 1, report.problems
            size = steward.audit.size()
            from executor.models import SubmitRequest

            halted, _ = steward.submit(SubmitRequest(action="lookup_account", params={"account_id": "ACC-000042"}),
                                       "agent-2")
            assert halted.state.value == "rejected" and halted.error_code == "halted"
            assert steward.audit.size() > size
            assert steward.audit.verify(verifier=load_verifier(key)).ok
        finally:
            steward.close()
