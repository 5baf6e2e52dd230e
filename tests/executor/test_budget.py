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


def _per_requester(rec: Any) -> dict[str, Any]:
    return next(lim for lim in rec.decision["limits"] if lim["id"] == "credit-budget-per-requester")


class TestUsageIsReadAfresh:
    def test_a_cancelled_request_stops_counting(self, db_url: str, make_steward: Any) -> None:
        """Amounts are remembered per process, states never: cancelling frees the budget at once."""
        steward = make_steward(db_url)
        made = [steward.submit(credit(f"ACC-{200 + i:06d}", 2500, f"fresh {i}"), "fresh-agent")[0] for i in range(10)]
        assert [r.action_class for r in made] == ["autonomous"] * 10
        over, _ = steward.submit(credit("ACC-000300", 2500, "one too many"), "fresh-agent")
        assert over.action_class == "human_approved"
        assert _per_requester(over)["current"] == 25000
        for rec in (made[0], made[1], over):
            steward.cancel(rec.id, "fresh-agent", "freeing the budget")
        again, _ = steward.submit(credit("ACC-000301", 2500, "after the cancels"), "fresh-agent")
        assert _per_requester(again)["current"] == 20000  # ten made, two of them and the eleventh cancelled
        assert again.action_class == "autonomous"

    def test_another_process_counts_what_it_never_saw(self, db_url: str, make_steward: Any) -> None:
        """A second engine (as another API server would) reads the amounts of requests it did not take."""
        first, second = make_steward(db_url), make_steward(db_url)
        for i in range(4):
            first.submit(credit(f"ACC-{400 + i:06d}", 5000, f"first {i}"), "shared-agent")
        rec, _ = second.submit(credit("ACC-000500", 5000, "second"), "shared-agent")
        assert _per_requester(rec)["current"] == 20000
        late, _ = first.submit(credit("ACC-000501", 5000, "first again"), "shared-agent")
        assert _per_requester(late)["current"] == 25000
        assert late.action_class == "human_approved"
