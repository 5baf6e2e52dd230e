"""Group commit: threads appending at once share one transaction.

Appends are serialized by the database's single-writer lock, and on
PostgreSQL every commit waits for a WAL flush. When several threads of one
process append at the same moment, the first becomes the leader: it writes
everything queued so far in one transaction, hands the lead to the next
queued thread, and wakes its batch's threads with their own entries (or the
error). ``leaders`` batches may be in flight at once (PostgreSQL pipelines
two, see ``audit._writer``); ``write`` keeps them in order. Each waiting
thread is woken once, to take its result or to lead, so four busy appenders
do not keep waking each other. Nothing returns before its
transaction committed, so fail-closed holds for every caller.
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
    __slots__ = ("error", "item", "lead", "result", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.lead = False  # woken to lead rather than with a result
        self.result: R | None = None
        self.error: BaseException | None = None
        self.wake = threading.Lock()  # held until the slot is woken: a one-shot signal
        self.wake.acquire()


class GroupCommit(Generic[T, R]):
    """Batch concurrent ``submit`` calls into calls of ``write(batch) -> results``."""

    def __init__(
        self,
        write: Callable[[list[T]], list[R]],
        wrap_error: Callable[[BaseException], BaseException],
        max_batch: int = 256,
        gather_s: float = 0.002,
        leaders: int = 1,
    ) -> None:
        self._write = write
        self._wrap_error = wrap_error
        self._max_batch = max_batch
        self._gather_s = gather_s
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # only a gathering leader waits on it
        self._gathering = False
        self._queue: list[_Slot[T, R]] = []
        self._max_leaders = leaders
        self._leaders = 0  # threads leading a batch (gathering or writing it)
        self._flying = 0  # items in batches being written
        self._expect = 1  # size of the previous batch: how many appenders are active

    def submit(self, item: T) -> R:
        """Write ``item`` (possibly with others) and return its result once committed."""
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            lead = self._leaders < self._max_leaders and not self._gathering
            if lead:  # its slot goes first, so its own batch holds it
                self._leaders += 1
                self._gathering = True
                self._queue.insert(0, slot)
            else:
                self._queue.append(slot)
                if self._gathering:
                    self._arrived.notify()
        if not lead:
            slot.wake.acquire()
            if not slot.lead:
                return self._outcome(slot)
        self._lead()
        return self._outcome(slot)

    @staticmethod
    def _outcome(slot: _Slot[T, R]) -> R:
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _gather(self) -> None:
        """Give active appenders a moment to queue up (lock held; the caller is the one gatherer).

        The threads just released by a commit come back with their next event a
        few microseconds later; without this the next leader would commit alone
        and batches would alternate between one and all. ``_expect`` estimates
        how many appenders are active (the last batch plus those in flight
        beside it); the leader waits for those not in flight, and with several
        leaders for at most its share, so that batches alternate instead of
        marching in lockstep. A lone appender never waits.
        """
        deadline = time.monotonic() + self._gather_s
        share = -(-self._expect // self._max_leaders)
        while len(self._queue) < min(self._expect - self._flying, share, self._max_batch):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.wait(remaining)

    def _lead(self) -> None:
        """Write one batch (the leader's own slot is first in it), hand the lead on, wake the batch."""
        with self._lock:
            try:
                self._gather()
            finally:
                self._gathering = False
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            self._expect = len(batch) + self._flying
            self._flying += len(batch)
        results: list[R] | None = None
        failure: BaseException | None = None
        try:
            results = self._write([s.item for s in batch])
        except BaseException as exc:  # every waiter must hear about it, then re-raise below
            failure = exc
        with self._lock:
            self._flying -= len(batch)
            if self._queue and not self._gathering:  # the lead passes on; else the gatherer takes them
                nxt = self._queue[0]
                nxt.lead = True
                self._gathering = True
                nxt.wake.release()
            else:
                self._leaders -= 1
        for i, s in enumerate(batch):
            if failure is None:
                assert results is not None
                s.result = results[i]
            else:
                s.error = self._wrap_error(failure)
            s.lead = False
            if s is not batch[0]:  # the leader's own slot; nobody waits on it
                s.wake.release()
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # KeyboardInterrupt and friends still stop the leader
