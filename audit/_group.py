"""Group commit: threads appending at once share one transaction.

Appends are serialized by the database's single-writer lock, and on
PostgreSQL every commit waits for a WAL flush. When several threads of one
process append at the same moment, the first becomes the leader, writes
everything queued so far in one transaction, and wakes the others with their
own entries (or the error). Nothing returns before its transaction committed,
so fail-closed holds for every caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Batch concurrent ``submit`` calls into calls of ``write(batch) -> results``."""

    def __init__(
        self,
        write: Callable[[list[T]], list[R]],
        wrap_error: Callable[[BaseException], BaseException],
        max_batch: int = 256,
        gather_s: float = 0.002,
    ) -> None:
        self._write = write
        self._wrap_error = wrap_error
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Slot[T, R]] = []
        self._busy = False
        self._expect = 1  # size of the previous batch: how many appenders are active
        self._gather_s = gather_s

    def submit(self, item: T) -> R:
        """Write ``item`` (possibly with others) and return its result once committed."""
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._queue.append(slot)
            self._cond.notify_all()
        while True:
            with self._cond:
                while self._busy and not slot.done:
                    self._cond.wait()
                if slot.done:
                    break
                self._busy = True
                self._gather()
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                self._expect = len(batch)
            self._lead(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _gather(self) -> None:
        """Give appenders that were active in the last batch a moment to queue up.

        The threads just released by a commit come back with their next event a
        few microseconds later; without this the next leader would commit alone
        and batches would alternate between one and all. A lone appender never
        waits (expect == 1).
        """
        deadline = time.monotonic() + self._gather_s
        while len(self._queue) < min(self._expect, self._max_batch):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)

    def _lead(self, batch: list[_Slot[T, R]]) -> None:
        results: list[R] | None = None
        failure: BaseException | None = None
        try:
            results = self._write([s.item for s in batch])
        except BaseException as exc:  # every waiter must hear about it, then re-raise below
            failure = exc
        with self._cond:
            for i, s in enumerate(batch):
                if results is not None:
                    s.result = results[i]
                else:
                    assert failure is not None
                    s.error = self._wrap_error(failure)
                s.done = True
            self._busy = False
            self._cond.notify_all()
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # KeyboardInterrupt and friends still stop the leader
