"""Group commit: concurrent appenders share transactions, each gets its own result or the error."""

from __future__ import annotations

import threading
import time

from audit._group import GroupCommit


class Poisoned(Exception):
    """Raised by the test writer for a batch holding a poison item."""


def _wrap(exc: BaseException) -> BaseException:
    return RuntimeError(f"batch failed: {exc}")


def _submit_from_threads(
    group: GroupCommit[tuple[int, int], str], *, threads: int, each: int
) -> dict[int, list[str]]:
    """``threads`` threads each submit (t, 0..each-1) in order; returns every thread's results."""
    seen: dict[int, list[str]] = {}

    def work(t: int) -> None:
        seen[t] = [group.submit((t, i)) for i in range(each)]

    running = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in running:
        th.start()
    for th in running:
        th.join()
    return seen


def test_each_thread_gets_its_own_result_and_batches_form() -> None:
    """Eight threads, 50 items each: every result is the thread's own, and batches hold several items."""
    batches: list[int] = []

    def write(items: list[tuple[int, int]]) -> list[str]:
        time.sleep(0.001)  # a commit takes time, so others queue up meanwhile
        batches.append(len(items))
        return [f"{t}:{i}" for t, i in items]

    group: GroupCommit[tuple[int, int], str] = GroupCommit(write, _wrap)
    seen = _submit_from_threads(group, threads=8, each=50)
    assert all(seen[t] == [f"{t}:{i}" for i in range(50)] for t in range(8))
    assert sum(batches) == 400 and max(batches) > 1 and len(batches) < 400


def test_a_failed_batch_fails_all_its_members_and_the_rest_go_on() -> None:
    """A write that raises reaches every thread of that batch (wrapped); later batches succeed."""
    start = threading.Barrier(4)

    def write(items: list[str]) -> list[str]:
        if "poison" in items:
            time.sleep(0.01)
            raise Poisoned("poison in batch")
        return [i.upper() for i in items]

    group: GroupCommit[str, str] = GroupCommit(write, _wrap, gather_s=0.05)
    outcomes: dict[str, str] = {}

    def work(item: str) -> None:
        start.wait()
        try:
            outcomes[item] = group.submit(item)
        except RuntimeError as exc:
            outcomes[item] = str(exc)
        outcomes[item + "-after"] = group.submit(item + "-after")

    threads = [threading.Thread(target=work, args=(x,)) for x in ("poison", "a", "b", "c")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert outcomes["poison"] == "batch failed: poison in batch"
    failed = [x for x in ("a", "b", "c") if outcomes[x].startswith("batch failed")]
    assert all(outcomes[x] == x.upper() for x in ("a", "b", "c") if x not in failed)
    assert all(outcomes[x + "-after"] == (x + "-after").upper() for x in ("poison", "a", "b", "c"))


def test_keyboard_interrupt_in_the_leader_still_wakes_the_batch() -> None:
    """A BaseException in the write wakes the waiting threads with the error and re-raises in the leader."""
    entered = threading.Event()
    release = threading.Event()

    def write(items: list[int]) -> list[int]:
        if 0 in items:
            entered.set()
            release.wait(5)
            raise KeyboardInterrupt
        return items

    group: GroupCommit[int, int] = GroupCommit(write, _wrap, gather_s=0.0)
    errors: list[BaseException] = []

    def leader() -> None:
        try:
            group.submit(0)
        except KeyboardInterrupt as exc:
            errors.append(exc)

    lt = threading.Thread(target=leader)
    lt.start()
    assert entered.wait(5)
    results: list[int] = []
    follower = threading.Thread(target=lambda: results.append(group.submit(7)))
    follower.start()
    time.sleep(0.05)
    release.set()
    lt.join(5)
    follower.join(5)
    assert len(errors) == 1 and isinstance(errors[0], KeyboardInterrupt)
    assert results == [7]  # queued behind the failed batch: led on, not lost


def test_two_leaders_keep_two_batches_in_flight_and_never_more() -> None:
    """With leaders=2, two batches are written at once (never three); every thread gets its own results."""
    lock = threading.Lock()
    active, most = [0], [0]

    def write(items: list[tuple[int, int]]) -> list[str]:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.002)
        with lock:
            active[0] -= 1
        return [f"{t}:{i}" for t, i in items]

    group: GroupCommit[tuple[int, int], str] = GroupCommit(write, _wrap, leaders=2)
    seen = _submit_from_threads(group, threads=6, each=40)
    assert all(seen[t] == [f"{t}:{i}" for i in range(40)] for t in range(6))
    assert most[0] == 2
