"""Shared test machinery: PostgreSQL schemas, a browser event-loop thread, Steward builders."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

PG_URL = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CANARY_PASSWORD = "canary-" + uuid.uuid4().hex  # must never appear in the db, logs or evidence
BILLING_USER = "steward-bot"
ORDERS_USER = "steward-bot"


def require_postgres() -> None:
    """Fail (never skip) when PostgreSQL is unreachable."""
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        raise RuntimeError(f"PostgreSQL is required for these tests and is unreachable at {PG_URL}: {exc}") from exc
    finally:
        engine.dispose()


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a URL whose search_path points at it."""
    require_postgres()
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options=-csearch_path%3D{name}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()


class LoopThread:
    """An asyncio loop in a thread, so sync tests can drive async Playwright code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def settings_for(db_url: str, home: Path) -> Any:
    from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings

    return Settings(db_url=db_url, home=home, catalog_dir=DEFAULT_CATALOG_DIR, policy_path=DEFAULT_POLICY_PATH)
