"""Budget limits hold under concurrent submits from separate engines (as separate processes would)."""

from __future__ import annotations

import threading
from typing import Any

from tests.executor.conftest import credit


class TestBudgetAtomicity:
    def test_no_overspend_across_engines(self, db_url: str, make_steward: Any) -> None:
        """20 concurrent $25 credits against the $250-per-requester limit: exactly 10 run without a person."""
        stewards = [make_steward(db_url) for _ in range(4)]  # four engines, four connection pools
        barrier = threading.Barrier(20)
        results: list[Any] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def submit(i: int) -> None:
            steward = stewards[i % len(stewards)]
            body = credit(f"ACC-{100 + i:06d}", 2500, f"budget {i}")
            barrier.wait()
            try:
                rec, _ = steward.submit(body, "budget-agent")
                with lock:
                    results.append(rec)
            except BaseException as exc:  # surfaced below
                with lock:
                    errors.append(exc)

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        classes = sorted(r.action_class for r in results)
        assert classes.count("autonomous") == 10, classes
        assert classes.count("human_approved") == 10
        over = [r for r in results if r.action_class == "human_approved"]
        assert all(
            any(lim["id"] == "credit-budget-per-requester" and lim["exceeded"] for lim in r.decision["limits"])
            for r in over
        )
