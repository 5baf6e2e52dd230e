"""The database schema's version: check it at start-up, upgrade it on request (Alembic).

A Steward process never creates or alters tables in an existing database on
its own. At start-up ``ensure_schema``:

- on a brand-new database (none of Steward's tables, no version table)
  runs every migration, under a lock, so two processes starting at once on an
  empty database do not collide;
- on a database at this release's revision, checks that every table is
  there: a missing table (a dropped kill-switch table would silently release
  every halt) refuses to start and says so. Nothing is recreated;
- on any other database refuses to start, naming the command to run:
  ``steward db upgrade`` for an older schema (or one created by a release
  before migrations), a newer Steward for a newer schema.

``upgrade`` is ``steward db upgrade``: it adopts a database made before
migrations (stamping the baseline, then upgrading), upgrades an older one,
and refuses a damaged one. The lock is a transaction-scoped advisory lock on
PostgreSQL and SQLite's ``BEGIN IMMEDIATE`` write lock, held for the whole
migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from executor.errors import SchemaMismatch

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["BASELINE", "HEAD", "SCHEMA_TABLES", "VERSION_TABLE", "SchemaStatus", "ensure_schema", "status", "upgrade"]

VERSION_TABLE = "steward_schema_version"
BASELINE = "0001"
HEAD = "0006"  # tests pin this to the newest file under executor/migrations/versions
# Every table the HEAD schema has; a missing one means a damaged database.
SCHEMA_TABLES: frozenset[str] = frozenset(
    {
        "steward_requests",
        "steward_kill_switches",
        "steward_policy_rollout",
        "steward_rollback_batches",
        "steward_compensations",
        "steward_api_keys",
        "audit_entries",
        "audit_tree_nodes",
        "audit_checkpoints",
    }
)
# Tables a database from before migrations must have for ``upgrade`` to adopt it.
_PRE_MIGRATION_REQUIRED = frozenset(
    SCHEMA_TABLES - {"steward_api_keys", "steward_policy_rollout", "steward_rollback_batches", "steward_compensations"}
)
_LOCK = 0x5354_4557_4100_0002  # "STEWA" + 2: serializes migrations of one database
_UPGRADE_HINT = "run `steward db upgrade`"


@dataclass(frozen=True)
class SchemaStatus:
    """What the database holds: its revision (None before migrations) and which tables are missing."""

    revision: str | None
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        """No Steward table and no version: a brand-new database."""
        return self.revision is None and not (self.tables & (SCHEMA_TABLES | {VERSION_TABLE}))

    @property
    def missing(self) -> frozenset[str]:
        return SCHEMA_TABLES - self.tables

    @property
    def current(self) -> bool:
        return self.revision == HEAD and not self.missing


def _status(conn: Connection) -> SchemaStatus:
    tables = frozenset(inspect(conn).get_table_names())
    revision = None
    if VERSION_TABLE in tables:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return SchemaStatus(revision=revision, tables=tables)


def status(engine: Engine) -> SchemaStatus:
    """The schema's revision and tables, read without changing anything."""
    try:
        with engine.connect() as conn:
            return _status(conn)
    except SQLAlchemyError as exc:
        raise SchemaMismatch(f"cannot read the database schema: {_line(exc)}") from exc


def _refusal(found: SchemaStatus) -> str | None:
    """Why a process must not start on this schema (None: it may)."""
    if found.revision is None:
        return f"this database was created by a Steward release before schema migrations: {_UPGRADE_HINT}"
    if found.revision != HEAD:
        if found.revision in _known_revisions():
            return f"the database schema is at revision {found.revision}, this Steward needs {HEAD}: {_UPGRADE_HINT}"
        return (
            f"the database schema is at revision {found.revision}, which this Steward (revision {HEAD}) does not "
            "know: it was upgraded by a newer Steward; run that release"
        )
    if found.missing:
        return (
            f"the database schema is damaged: table(s) {', '.join(sorted(found.missing))} missing at revision "
            f"{HEAD}; nothing runs until they are restored from a backup (they are never recreated empty)"
        )
    return None


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def ensure_schema(engine: Engine) -> None:
    """Start-up check: initialise a brand-new database, else refuse anything but the current schema."""
    found = status(engine)
    if found.current:
        return
    if found.empty:
        _migrate(engine, adopt=False, fresh_only=True)
        return
    reason = _refusal(found)
    if reason:
        raise SchemaMismatch(reason)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """``steward db upgrade``: (revision before, revision after); SchemaMismatch for a damaged database."""
    return _migrate(engine, adopt=True, fresh_only=False)


def _migrate(engine: Engine, *, adopt: bool, fresh_only: bool) -> tuple[str | None, str]:
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
            found = _status(conn)  # read again under the lock: another process may have migrated
            if found.current:
                return found.revision, HEAD
            if fresh_only and not found.empty:
                reason = _refusal(found)
                if reason:
                    raise SchemaMismatch(reason)
            _run_alembic(conn, found, adopt=adopt)
            after = _status(conn)
            if after.missing:
                raise SchemaMismatch(_refusal(after) or "the upgrade left tables missing")
            return found.revision, HEAD
    except SchemaMismatch:
        raise
    except SQLAlchemyError as exc:
        raise SchemaMismatch(f"the schema migration failed, nothing changed: {_line(exc)}") from exc


def _run_alembic(conn: Connection, found: SchemaStatus, *, adopt: bool) -> None:
    from alembic import command

    config = _config()
    config.attributes["connection"] = conn
    if found.revision is None and not found.empty:
        missing = _PRE_MIGRATION_REQUIRED - found.tables
        if not adopt or missing:
            raise SchemaMismatch(
                "this database holds some Steward tables but not a schema Steward can adopt "
                f"(missing: {', '.join(sorted(missing))}); restore it from a backup"
            )
        if "steward_api_keys" not in found.tables:  # created lazily by releases before migrations
            from executor.apikeys import keys_table

            keys_table.create(conn)
        command.stamp(config, BASELINE)
    elif found.revision == HEAD and found.missing:
        raise SchemaMismatch(_refusal(found) or "damaged schema")
    command.upgrade(config, HEAD)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "executor:migrations")
    return config


def _line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
