"""Attacks 3 and 10b: the kill-switch state cannot be lost by dropping its table or racing start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit import open_engine
from executor.errors import FailClosed, SchemaMismatch
from executor.store.migrate import VERSION_TABLE, status, upgrade
from tests.helpers import settings_for


def _steward(db_url: str, home: Path) -> Any:
    from executor.service import Steward

    return Steward(settings_for(db_url, home))


class TestDroppedKillSwitchTable:
    def test_dropped_kill_switch_table_refuses_start(self, db_url: str, tmp_path: Path) -> None:
        """An engaged halt whose table was dropped is never silently lost: start-up and upgrade refuse."""
        steward = _steward(db_url, tmp_path / "home")
        steward.kill("global", "dana", "incident 9")
        with steward.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE steward_kill_switches"))
        steward.close()
        with pytest.raises(SchemaMismatch, match="steward_kill_switches"):
            _steward(db_url, tmp_path / "home")
        engine = open_engine(db_url)
        try:
            with pytest.raises(SchemaMismatch, match="never recreated"):
                upgrade(engine)
            assert "steward_kill_switches" in status(engine).missing
        finally:
            engine.dispose()

    def test_dropped_while_running_fails_closed(self, db_url: str, tmp_path: Path) -> None:
        """A running process that loses the kill-switch table neither accepts nor claims work."""
        from executor.models import RequestContext, SubmitRequest

        steward = _steward(db_url, tmp_path / "home")
        try:
            body = SubmitRequest(
                action="issue_credit",
                params={"account_id": "ACC-000050", "amount_cents": 500, "reason": "Late parcel"},
                context=RequestContext(account_tier="pro", agent_confidence=0.9),
            )
            queued, _ = steward.submit(body, "agent-1")
            assert queued.state.value == "queued"
            with steward.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE steward_kill_switches"))
            with pytest.raises(FailClosed):
                steward.submit(body.model_copy(update={"params": {**body.params, "amount_cents": 600}}), "agent-1")
            with pytest.raises(Exception, match="steward_kill_switches"):
                steward.store.claim_next("w1", 30, lambda rec, switches: None)
            assert steward.get(queued.id).state.value == "queued"
        finally:
            steward.close()


class TestConcurrentStart:
    @pytest.mark.slow
    def test_processes_starting_together(self, db_url: str, tmp_path: Path) -> None:
        """Three processes starting at once on an empty database all come up on one schema."""
        code = (
            "import sys; from pathlib import Path; from executor.service import Steward;"
            "from tests.helpers import settings_for;"
            "Steward(settings_for(sys.argv[1], Path(sys.argv[2]))).close(); print('up')"
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, db_url, str(tmp_path / f"home{i}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(3)
        ]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [err[-500:] for _, err in results]
        engine = open_engine(db_url)
        try:
            assert status(engine).current
            with engine.connect() as conn:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
        finally:
            engine.dispose()
