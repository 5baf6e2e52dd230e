"""The audit tables and the triggers that make them append-only.

``audit_entries``     one row per event; ``seq`` is the primary key, never from a sequence.
``audit_tree_nodes``  every complete interior Merkle node, keyed by (seq of the leaf
                      that completed it, level); level-0 leaves are the entries' hashes.
``audit_checkpoints`` every signed checkpoint (signed note text), keyed by tree size.

The database itself refuses UPDATE, DELETE and TRUNCATE on all three, and
guards INSERT: an entry's seq must be max(seq)+1 and its prev_hash the hash of
the previous entry, so INSERT OR REPLACE, upserts, gaps and out-of-order
inserts fail. On PostgreSQL the triggers are ``ENABLE ALWAYS`` so that
``session_replication_role = replica`` does not switch them off. None of this
stops someone who owns the database from dropping a trigger: the hash chain,
the Merkle tree and the signed checkpoints are what catch that.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from audit.errors import SchemaError, one_line
from audit.models import ZERO_HASH

__all__ = ["checkpoints_table", "entries_table", "install_schema", "metadata", "nodes_table"]

metadata = MetaData()
_BigInt = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY = rowid on SQLite

entries_table = Table(
    "audit_entries",
    metadata,
    Column("seq", _BigInt, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False),
    Column("type", String(100), nullable=False),
    Column("action_id", String(200), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entries_action_id", "action_id"),
    Index("ix_audit_entries_type_ts", "type", "ts"),
)

nodes_table = Table(
    "audit_tree_nodes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

checkpoints_table = Table(
    "audit_checkpoints",
    metadata,
    Column("size", _BigInt, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("origin", Text, nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("note", Text, nullable=False),
)

_TABLES = ("audit_entries", "audit_tree_nodes", "audit_checkpoints")

# Insert guards: (table, condition that must hold for the new row, message).
_SQLITE_GUARDS = {
    "audit_entries": (
        "NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries)"
        " OR NEW.prev_hash IS NOT COALESCE("
        f"(SELECT hash FROM audit_entries WHERE seq = NEW.seq - 1), '{ZERO_HASH}')",
        "audit_entries is append-only: seq must be max(seq)+1 and prev_hash must link",
    ),
    "audit_tree_nodes": (
        "EXISTS (SELECT 1 FROM audit_tree_nodes WHERE (seq, level) >= (NEW.seq, NEW.level))"
        " OR NOT EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq)",
        "audit_tree_nodes is append-only: nodes are added in order, for existing entries",
    ),
    "audit_checkpoints": (
        "NEW.size <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)"
        " OR NEW.size > (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries)",
        "audit_checkpoints is append-only: sizes must grow and not exceed the log",
    ),
}


def _sqlite_ddl() -> list[str]:
    ddl: list[str] = []
    for table in _TABLES:
        for op in ("UPDATE", "DELETE"):
            ddl.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
            )
        cond, msg = _SQLITE_GUARDS[table]
        ddl.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_append_only BEFORE INSERT ON {table} "
            f"WHEN {cond} BEGIN SELECT RAISE(ABORT, '{msg}'); END"
        )
    return ddl


_PG_GUARD_BODIES = {
    "audit_entries": f"""
DECLARE last_seq bigint; last_hash text;
BEGIN
  SELECT seq, hash INTO last_seq, last_hash FROM audit_entries ORDER BY seq DESC LIMIT 1;
  IF NEW.seq IS DISTINCT FROM COALESCE(last_seq + 1, 0)
     OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{ZERO_HASH}') THEN
    RAISE EXCEPTION 'audit_entries is append-only: seq % refused (next is %), prev_hash must link',
      NEW.seq, COALESCE(last_seq + 1, 0);
  END IF;
  RETURN NEW;
END""",
    "audit_tree_nodes": """
DECLARE last_seq bigint; last_level smallint;
BEGIN
  -- ORDER BY ... LIMIT 1 walks the primary key backwards: one row, whatever the plan.
  SELECT seq, level INTO last_seq, last_level FROM audit_tree_nodes
    ORDER BY seq DESC, level DESC LIMIT 1;
  IF (last_seq IS NOT NULL AND (NEW.seq, NEW.level) <= (last_seq, last_level))
     OR NOT EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq) THEN
    RAISE EXCEPTION 'audit_tree_nodes is append-only: nodes are added in order, for existing entries';
  END IF;
  RETURN NEW;
END""",
    "audit_checkpoints": """
BEGIN
  IF NEW.size <= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)
     OR NEW.size > (SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_entries) THEN
    RAISE EXCEPTION 'audit_checkpoints is append-only: sizes must grow and not exceed the log';
  END IF;
  RETURN NEW;
END""",
}


def _pg_functions() -> list[str]:
    fns = [
        "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;\nEND $$ "
        "SET search_path FROM CURRENT"
    ]
    for table, body in _PG_GUARD_BODIES.items():
        fns.append(
            f"CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $${body}"
            " $$ SET search_path FROM CURRENT"
        )
    return fns


def _pg_triggers(table: str) -> dict[str, str]:
    return {
        f"{table}_no_change": f"BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
        "EXECUTE FUNCTION audit_refuse_change()",
        f"{table}_no_truncate": f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
        "EXECUTE FUNCTION audit_refuse_change()",
        f"{table}_append_only": f"BEFORE INSERT ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION {table}_guard()",
    }


_INSTALL_LOCK = 0x5354_4557_4100_0001  # "STEWA" + 1: serializes concurrent installs


def _install_pg(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INSTALL_LOCK})
    metadata.create_all(conn, checkfirst=True)
    for ddl in _pg_functions():
        conn.exec_driver_sql(ddl.replace("%", "%%"))  # psycopg reads % as a placeholder
    for table in _TABLES:
        rows = conn.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass(:t)"),
            {"t": table},
        ).all()
        existing = {str(name): str(state) for name, state in rows}
        for name, spec in _pg_triggers(table).items():
            if name not in existing:
                conn.exec_driver_sql(f"CREATE TRIGGER {name} {spec}")
            if existing.get(name) != "A":
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def install_schema(bind: Engine | Connection) -> None:
    """Create the audit tables, indexes and triggers. Idempotent; safe to race.

    Given a Connection, the work joins its open transaction (schema migrations
    run it that way); given an Engine, it runs in a transaction of its own.
    """
    try:
        if isinstance(bind, Connection):
            _install(bind)
        else:
            with bind.begin() as conn:
                _install(conn)
    except SQLAlchemyError as exc:
        raise SchemaError(f"could not install the audit schema: {one_line(exc)}") from exc


def _install(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        _install_pg(conn)
        return
    metadata.create_all(conn, checkfirst=True)
    for ddl in _sqlite_ddl():
        conn.exec_driver_sql(ddl)
