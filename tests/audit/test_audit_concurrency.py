"""Concurrent appenders (threads and processes) keep one gapless, verifiable order."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections import Counter

from audit import AuditLog, Checkpointer, CheckpointPolicy, Signer
from audit.log import MAX_PAYLOAD_BYTES
from benchmarks.audit import append_worker

PER_THREAD = 60
PER_PROCESS = 60


class TestConcurrentAppenders:
    """Four threads and two processes append to one database at once."""

    def test_threads_and_processes(self, db_url: str, log: AuditLog) -> None:
        """4 threads (two logs) + 2 processes: seq is gapless and the whole chain verifies."""
        ctx = mp.get_context("spawn")
        go, done = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=append_worker, args=(db_url, PER_PROCESS, go, done)) for _ in range(2)]
        for p in procs:
            p.start()
        other = AuditLog(log.engine)  # two AuditLog objects, like two workers in one process
        errors: list[BaseException] = []

        def work(target: AuditLog, n: int) -> None:
            go.wait()
            try:
                for i in range(PER_THREAD):
                    target.append("thread.event", actor=f"thread-{n}", payload={"i": i})
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(log if n % 2 else other, n)) for n in range(4)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        written = [done.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        other.close()
        assert not errors and written == [PER_PROCESS, PER_PROCESS]
        entries = log.entries()
        total = 4 * PER_THREAD + 2 * PER_PROCESS
        assert [e.seq for e in entries] == list(range(total))
        actors = Counter(e.actor for e in entries)
        assert sum(n for a, n in actors.items() if a.startswith("proc-")) == 2 * PER_PROCESS
        report = log.verify()
        assert report.ok, report.problems

    def test_large_payloads_from_several_threads(self, log: AuditLog) -> None:
        """Four threads append payloads near the size limit at once: all stored whole, in one chain."""
        big = MAX_PAYLOAD_BYTES - 100
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(3):
                    log.append("big.event", actor=f"t{n}", payload={"blob": f"{n}{i}" + "x" * (big - 30)})
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        entries = log.entries()
        assert len(entries) == 12 and all(len(e.payload["blob"]) == big - 28 for e in entries)
        assert log.verify().ok

    def test_checkpoints_while_appending(self, log: AuditLog, signer: Signer) -> None:
        """The live worker keeps appending while checkpoints are signed; all stay consistent."""
        checkpointer = Checkpointer(log, signer, policy=CheckpointPolicy(every_entries=20))
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for i in range(300):
                    log.append("work.step", actor="worker", payload={"i": i})
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        signed: list[int] = []
        while t.is_alive():
            cp = checkpointer.maybe_checkpoint()
            if cp is not None:
                signed.append(cp.size)
            time.sleep(0.002)
        t.join()
        signed.append(checkpointer.checkpoint().size)
        assert not errors and log.size() == 300
        assert signed == sorted(signed) and signed[-1] == 300
        assert [c.size for c in log.checkpoints()] == sorted(set(signed))
        report = log.verify(verifier=signer.verifier())
        assert report.ok and report.checkpoints == len(set(signed))
