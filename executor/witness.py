"""Deliver every signed checkpoint to witnesses as it is signed, without ever blocking execution.

Two kinds, from Settings (``--witness DIR`` / ``STEWARD_WITNESS_DIR``,
``STEWARD_WITNESS_URL``):

- a folder: the note is written as ``<size>.checkpoint`` (``audit.witness``);
  a failed write is logged and retried with the next checkpoint;
- an HTTP endpoint: the note is POSTed as ``text/plain`` by a background
  thread, so a slow or down witness never delays a checkpoint; failures are
  logged and retried with backoff (1 s doubling to 60 s). Only the newest
  pending notes are kept (a later checkpoint proves everything an earlier
  one did, provided the log is consistent, which ``verify`` checks).

``Witnesses.__call__`` never raises: a checkpoint is already stored when it
is handed over, and the worker must go on executing.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

import structlog

from audit import Checkpoint, InconsistentCheckpointError, write_witness_file

__all__ = ["Witnesses"]

log = structlog.get_logger("steward.witness")

MAX_PENDING = 100


class Witnesses:
    """Hands checkpoints to a witness folder and/or URL; ``close`` stops the sender thread."""

    def __init__(self, directory: Path | None = None, url: str | None = None, *, timeout_s: float = 5.0,
                 max_backoff_s: float = 60.0) -> None:
        self.directory = directory
        self.url = url
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self._lock = threading.Lock()
        self._last_size = 0
        self._dir_pending: deque[Checkpoint] = deque(maxlen=MAX_PENDING)
        self._http_pending: deque[Checkpoint] = deque(maxlen=MAX_PENDING)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered: list[int] = []  # sizes POSTed, for tests and status

    def __call__(self, checkpoint: Checkpoint) -> None:
        """Deliver ``checkpoint`` (a repeat of the last one is ignored); never raises."""
        try:
            with self._lock:
                if checkpoint.size <= self._last_size:
                    return
                self._last_size = checkpoint.size
                if self.directory is not None:
                    self._dir_pending.append(checkpoint)
                    self._write_dir()
                if self.url is not None:
                    self._http_pending.append(checkpoint)
                    self._ensure_thread()
                    self._wake.set()
        except Exception as exc:  # a witness must never stop a checkpoint or the worker
            log.error("witness.failed", size=checkpoint.size, error=f"{type(exc).__name__}: {exc}"[:300])

    def _write_dir(self) -> None:
        assert self.directory is not None
        while self._dir_pending:
            checkpoint = self._dir_pending[0]
            try:
                write_witness_file(self.directory, checkpoint)
            except InconsistentCheckpointError as exc:  # a fork: never retried, the witness keeps its first note
                log.error("witness.fork_refused", size=checkpoint.size, directory=str(self.directory),
                          error=str(exc)[:300])
            except Exception as exc:
                log.error("witness.dir_failed", size=checkpoint.size, directory=str(self.directory),
                          error=f"{type(exc).__name__}: {exc}"[:300])
                return  # retried with the next checkpoint
            self._dir_pending.popleft()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._send_loop, name="steward-witness", daemon=True)
            self._thread.start()

    def _send_loop(self) -> None:
        import httpx

        backoff = 1.0
        with httpx.Client(timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                with self._lock:
                    checkpoint = self._http_pending[0] if self._http_pending else None
                if checkpoint is None:
                    self._wake.wait(1.0)
                    self._wake.clear()
                    continue
                try:
                    response = client.post(
                        str(self.url), content=checkpoint.note.encode("utf-8"),
                        headers={"Content-Type": "text/plain; charset=utf-8",
                                 "X-Steward-Checkpoint-Size": str(checkpoint.size)},
                    )
                    response.raise_for_status()
                except Exception as exc:
                    log.warning("witness.post_failed", size=checkpoint.size, retry_in_s=backoff,
                                error=f"{type(exc).__name__}: {exc}"[:300])
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff_s)
                    continue
                backoff = 1.0
                with self._lock:
                    if self._http_pending and self._http_pending[0] is checkpoint:
                        self._http_pending.popleft()
                    self.delivered.append(checkpoint.size)

    def pending(self) -> int:
        """Checkpoints not yet delivered (folder and URL)."""
        with self._lock:
            return len(self._dir_pending) + len(self._http_pending)

    def close(self) -> None:
        """Stop the sender thread (undelivered notes stay undelivered; the next process sends newer ones)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.timeout_s + 1)
