"""SQLite WAL checkpoints on a thread of their own, off the append path.

By default SQLite checkpoints inside the commit that takes the write-ahead
log past 1,000 pages: that commit copies the pages into the database file and
waits for two fsyncs, several milliseconds on a busy append path that
otherwise commits in a tenth of one. The append writer turns that off on its
own connections (``attach``) and this thread copies the log in the background
instead, on another core; ``sqlite3`` releases the GIL while it works.

A background checkpoint alone never lets the log start over under sustained
load: SQLite rewinds the log only when a writer begins while every frame is
already copied, and a busy writer has always added more. So when the log
passes ``catch_up_frames`` the thread asks the writer to run one passive
checkpoint itself right after a commit (``committed``): almost everything is
copied already, so it only syncs, and the writer's next transaction rewinds
the log. The log stays bounded and the fsyncs on the append path become
rare.

Durability is what ``synchronous = NORMAL`` in WAL mode gives anyway: commits
are on disk once a checkpoint has synced them, and the thread checkpoints
every ``every_commits`` commits or after ``idle_s`` of quiet, so no later
than SQLite's own schedule would. A failed checkpoint only leaves the log
longer (the next one retries), exactly as a failed automatic checkpoint
would; it never fails an append.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

__all__ = ["SQLITE_DEFAULT_AUTOCHECKPOINT", "WalCheckpointer"]

SQLITE_DEFAULT_AUTOCHECKPOINT = 1000  # pages; what a connection gets back when the writer returns it


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file at ``path`` while appends keep coming."""

    def __init__(
        self,
        path: str,
        *,
        every_commits: int = 64,
        catch_up_frames: int = 8192,
        idle_s: float = 1.0,
        busy_timeout_s: float = 5.0,
    ) -> None:
        self._path = path
        self._every = every_commits
        self._catch_up_frames = catch_up_frames
        self._idle_s = idle_s
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending = 0  # commits since the thread last checkpointed
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.catch_up = False  # read by the writer after each commit, without the lock
        self._rewinding = False  # the writer copied everything; its next commit starts the log over
        self.checkpoints = 0  # background checkpoints run (for tests and diagnostics)
        self.catch_ups = 0  # checkpoints the writer ran on request
        self.last_error: str | None = None

    # -- the writer's side ------------------------------------------------------------------

    @staticmethod
    def attach(raw: Any) -> None:
        """Turn SQLite's in-commit checkpoints off on a connection the writer took from the pool."""
        raw.cursor().execute("PRAGMA wal_autocheckpoint = 0").close()

    @staticmethod
    def detach(raw: Any) -> None:
        """Give a connection its default back before it returns to the pool."""
        raw.cursor().execute(f"PRAGMA wal_autocheckpoint = {SQLITE_DEFAULT_AUTOCHECKPOINT}").close()

    def committed(self, raw: Any) -> None:
        """Called by the writer after each commit, outside any transaction, on its connection."""
        self._rewinding = False  # this commit began on a fully copied log, so it started the log over
        if self.catch_up:
            self.catch_up = False
            try:
                cursor = raw.cursor()
                try:
                    busy, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                finally:
                    cursor.close()
            except sqlite3.Error as exc:  # the thread will ask again; the append itself succeeded
                self.last_error = f"{type(exc).__name__}: {exc}"
            else:
                self.catch_ups += 1
                if busy:
                    self.catch_up = True  # another checkpointer ran: try after the next commit
                elif frames == copied:
                    self._rewinding = True  # keep the thread out of the way until the next commit
        with self._lock:
            self._pending += 1
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="audit-wal-checkpoint", daemon=True)
                self._thread.start()
            elif self._pending >= self._every and not self._paused():
                self._wake.notify()

    def _paused(self) -> bool:
        """While the writer catches up and rewinds the log, a checkpoint here would only get in its way."""
        return self.catch_up or self._rewinding

    def close(self) -> None:
        """Stop the thread after a last checkpoint."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            self._wake.notify()
        if thread is not None:
            thread.join(timeout=self._busy_timeout_s + 5)
        with self._lock:
            self._stopping = False

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                with self._lock:
                    woken = True
                    if not self._stopping and (self._pending < self._every or self._paused()):
                        woken = self._wake.wait(self._idle_s)
                    if woken and self._paused() and not self._stopping:
                        continue  # the writer is rewinding the log (after a second of quiet: go ahead)
                    pending, self._pending = self._pending, 0
                    last = self._stopping or pending == 0
                    if last:
                        self._thread = None  # the next commit starts a new thread
                if pending or last:
                    conn = self._checkpoint(conn)
                if last:
                    return
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """One passive checkpoint; returns the connection to use next time (None after a failure)."""
        try:
            if conn is None:
                conn = sqlite3.connect(
                    self._path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
                )
            busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            if conn is not None:
                conn.close()
            return None
        self.checkpoints += 1
        if not busy and frames >= self._catch_up_frames:
            self.catch_up = True
        return conn
