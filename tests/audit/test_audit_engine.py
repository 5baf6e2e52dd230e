"""open_engine: the project's engine factory and its SQLite settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from audit import SchemaError, normalize_url, open_engine, snapshot_connection


class TestSqliteSettings:
    """WAL, synchronous=NORMAL, busy timeout, foreign keys, BEGIN IMMEDIATE."""

    def test_pragmas(self, tmp_path: Path) -> None:
        """Every connection gets the project's pragmas."""
        engine = open_engine(f"sqlite:///{tmp_path / 'x.db'}")
        with engine.connect() as conn:
            values = {p: conn.execute(text(f"PRAGMA {p}")).scalar()
                      for p in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
        engine.dispose()
        assert values == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 30000, "foreign_keys": 1}

    def test_transactions_take_the_write_lock_at_begin(self, tmp_path: Path) -> None:
        """A transaction holds the write lock from BEGIN: another writer cannot start meanwhile."""
        path = tmp_path / "x.db"
        engine = open_engine(f"sqlite:///{path}")
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
        engine.dispose()

    def test_snapshot_reads_do_not_block_writers(self, tmp_path: Path) -> None:
        """A snapshot connection reads without the write lock."""
        path = tmp_path / "x.db"
        engine = open_engine(f"sqlite:///{path}")
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with snapshot_connection(engine) as conn, conn.begin():
            conn.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        other.close()
        engine.dispose()

    def test_parent_directory_created(self, tmp_path: Path) -> None:
        """A SQLite file in a directory that does not exist yet just works."""
        engine = open_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        assert (tmp_path / "a" / "b" / "x.db").exists()


class TestUrls:
    """Accepted database URLs."""

    def test_normalize(self, tmp_path: Path) -> None:
        """Bare paths become SQLite URLs; postgresql:// selects psycopg."""
        assert normalize_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
        assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
        assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"

    def test_postgres_engine(self) -> None:
        """PostgreSQL engines pre-ping their pooled connections."""
        engine = open_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        engine.dispose()

    def test_unsupported(self) -> None:
        """Other databases are refused."""
        with pytest.raises(SchemaError):
            open_engine("mysql://u@h/db")
