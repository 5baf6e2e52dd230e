"""Wake-ups: "the queue changed" and "a kill switch changed", pushed instead of polled.

Three layers, so a change reaches every worker within milliseconds:

- ``publish`` runs inside the transaction that made the change. On
  PostgreSQL it is a ``NOTIFY``, delivered to every listening process of the
  fleet when (and only if) the transaction commits.
- ``HUB`` fans a topic out inside one process: the store fires it after the
  commit, so a worker in the same process (``steward serve``, the demo)
  wakes at once, whatever the database.
- ``Listener`` feeds the hub with other processes' changes: ``LISTEN`` on
  PostgreSQL (reconnecting with backoff), and on SQLite a 50 ms poll of
  ``PRAGMA data_version``, which changes whenever another connection commits.

A wake-up only says "look again": the queue and the kill switches are always
re-read from the database, so a lost or spurious notification costs latency,
never correctness. Workers keep a slow fallback poll and the kill-switch
check at every step boundary stays the guarantee.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Connection, Engine, text

__all__ = ["HUB", "KILL", "QUEUE", "Hub", "Listener", "Subscription", "publish"]

log = structlog.get_logger("steward.notify")

QUEUE = "queue"
KILL = "kill"
TOPICS = (QUEUE, KILL)
_CHANNELS = {QUEUE: "steward_queue", KILL: "steward_kill"}
_SQLITE_POLL_S = 0.05


@dataclass
class Subscription:
    """One event loop's view of the hub: an event per topic, set when it fires."""

    loop: asyncio.AbstractEventLoop
    events: dict[str, asyncio.Event] = field(default_factory=lambda: {t: asyncio.Event() for t in TOPICS})

    async def wait(self, topic: str) -> None:
        """Until ``topic`` fires (then it is re-armed)."""
        event = self.events[topic]
        await event.wait()
        event.clear()

    def _set(self, topic: str) -> None:
        self.events[topic].set()


class Hub:
    """Thread-safe fan-out of topics to every subscribed event loop of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []

    def subscribe(self) -> Subscription:
        """A subscription for the running loop; ``unsubscribe`` it when done."""
        sub = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def fire(self, topic: str) -> None:
        """Wake every subscriber of ``topic``; callable from any thread."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                sub.loop.call_soon_threadsafe(sub._set, topic)


HUB = Hub()


def publish(conn: Connection, topic: str) -> None:
    """Inside the changing transaction: a PostgreSQL NOTIFY for the rest of the fleet (no-op on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": _CHANNELS[topic]})


class Listener:
    """Brings other processes' changes into ``hub``: LISTEN on PostgreSQL, data_version polls on SQLite."""

    def __init__(self, engine: Engine, hub: Hub = HUB) -> None:
        self.engine = engine
        self.hub = hub

    async def run(self) -> None:
        """Until cancelled; never raises (a broken listener only costs latency)."""
        if self.engine.dialect.name == "postgresql":
            await self._listen_pg()
        else:
            await self._poll_sqlite()

    async def _listen_pg(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    for channel in _CHANNELS.values():
                        await conn.execute(f"LISTEN {channel}")
                    backoff = 0.5
                    for topic in TOPICS:  # anything missed while connecting
                        self.hub.fire(topic)
                    topics = {v: k for k, v in _CHANNELS.items()}
                    async for note in conn.notifies():
                        if note.channel in topics:
                            self.hub.fire(topics[note.channel])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notify.listen_failed", error=str(exc).splitlines()[0][:200] if str(exc) else "")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _poll_sqlite(self) -> None:
        path = self.engine.url.database
        if not path or path == ":memory:":
            return
        conn = sqlite3.connect(path, timeout=1.0, check_same_thread=False)
        try:
            last = None
            while True:
                try:
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error:
                    version = None
                if version != last and last is not None:
                    for topic in TOPICS:
                        self.hub.fire(topic)
                last = version
                await asyncio.sleep(_SQLITE_POLL_S)
        finally:
            conn.close()
