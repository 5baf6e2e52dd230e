"""Attack 1: once ``commit.started`` is durable, nothing ends a request ``aborted`` or ``failed`` by fiat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from action_classes import load_catalog
from executor.errors import FailClosed
from executor.models import SubmitRequest
from policies import Policy
from tests.security._ledger_app import Ledger, ledger_server

pytestmark = pytest.mark.browser
CATALOGS = Path(__file__).parent / "catalogs" / "ledger"
AGENT = "agent-sec"


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    with ledger_server() as (url, book):
        monkeypatch.setenv("LEDGER_URL", url)
        yield book


@pytest.fixture
def office(ledger: Ledger, make_steward: Any, db_url: str) -> Any:
    return make_steward(db_url, catalog=load_catalog(CATALOGS), policy=Policy([], version="empty"))


def _types(steward: Any, request_id: str) -> list[str]:
    return [e.type for e in steward.audit.entries(action_id=request_id)]


class TestHostilePageAfterCommit:
    def test_lone_surrogate_read_after_commit(self, office: Any, ledger: Ledger, run_worker: Any) -> None:
        """Page text with a lone surrogate read after the commit is recorded safely; the request succeeds."""
        ledger.hostile = True
        rec, _ = office.submit(SubmitRequest(action="add_entry", params={"ref": "ABC-0001"}), AGENT)
        run_worker(office)
        rec = office.get(rec.id)
        assert ledger.entries == ["ABC-0001"]
        assert rec.state.value == "succeeded", (rec.state, rec.error_message, _types(office, rec.id))
        assert rec.outcome["extracted"]["status"] == "Saved \ufffd"
        assert "request.aborted" not in _types(office, rec.id)


class TestAuditFailureAfterCommit:
    @pytest.mark.parametrize("event", ["commit.completed", "evidence.stored", "values.extracted", "request.succeeded"])
    def test_settled_by_verification(
        self, office: Any, ledger: Ledger, run_worker: Any, event: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An audit write failing after the commit hands the request to verification, never to aborted."""
        store = office.store
        failed: list[str] = []
        real_record, real_transition = store.record, store.transition

        def record(request_id: Any, events: list[tuple[str, Any]], *args: Any, **kwargs: Any) -> Any:
            if not failed and any(t == event for t, _ in events):
                failed.append(event)
                raise FailClosed(f"audit log write failed (injected at {event})")
            return real_record(request_id, events, *args, **kwargs)

        def transition(request_id: str, to: Any, *args: Any, **kwargs: Any) -> Any:
            if not failed and f"request.{to.value}" == event:
                failed.append(event)
                raise FailClosed(f"audit log write failed (injected at {event})")
            return real_transition(request_id, to, *args, **kwargs)

        monkeypatch.setattr(store, "record", record)
        monkeypatch.setattr(store, "transition", transition)
        rec, _ = office.submit(SubmitRequest(action="add_entry", params={"ref": "XYZ-0042"}), AGENT)
        run_worker(office)
        assert failed == [event]
        after_fault = office.get(rec.id)
        # The fault hands it to verification (in_doubt); the same worker's recovery sweep may already have settled it.
        assert "request.in_doubt" in _types(office, rec.id), (after_fault.state, _types(office, rec.id))
        run_worker(office)  # the recovery sweep settles it by verification (if it has not yet)
        rec = office.get(rec.id)
        types = _types(office, rec.id)
        assert rec.state.value == "succeeded", (rec.state, rec.error_message, types)
        assert ledger.entries == ["XYZ-0042"]  # committed exactly once
        assert types.count("commit.started") == 1
        assert "request.aborted" not in types and "request.failed" not in types
