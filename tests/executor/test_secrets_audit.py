"""Secrets never leave the login context; the audit chain verifies and catches tampering."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import structlog

from executor.logs import configure_logging
from tests.executor.conftest import AGENT, confirmation_for, credit
from tests.helpers import CANARY_PASSWORD

pytestmark = pytest.mark.browser


def _all_bytes_of_evidence(folder: Path) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        out.append((str(path), data))
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                out.extend((f"{path}!{name}", zf.read(name)) for name in zf.namelist())
    return out


def _database_text(steward: Any, db_url: str) -> str:
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        steward.engine.dispose()
        return "".join(p.read_bytes().decode("latin-1") for p in path.parent.glob(path.name + "*"))
    chunks = []
    with steward.engine.connect() as conn:
        tables = conn.execute(sa.text("select tablename from pg_tables where schemaname = current_schema()")).scalars()
        for table in list(tables):
            rows = conn.execute(sa.text(f'select row_to_json(t)::text from "{table}" t')).scalars()
            chunks.extend(rows)
    return "\n".join(chunks)


class TestCanary:
    def test_password_appears_nowhere(
        self, db_url: str, make_steward: Any, run_worker: Any, driver: Any, billing: Any, accounts: Any, tmp_path: Path
    ) -> None:
        """The login password is in no database row, log line, audit entry, screenshot or trace."""
        steward = make_steward(db_url)
        logs = io.StringIO()
        configure_logging(stream=logs)
        try:
            driver.forget_login(steward.catalog.targets["billing_console"])  # force a login in this test
            a, _ = steward.submit(credit(accounts.take(), 321, "Canary run"), AGENT)
            b, _ = steward.submit(credit(accounts.take(), 20_000, "Canary approval"), AGENT)
            steward.approve(b.id, "someone-else")
            c, _ = steward.submit(credit("ACC-000007", 100, "Suspended account"), AGENT)  # fails a precondition
            run_worker(steward)
        finally:
            structlog.reset_defaults()
        states = {steward.get(x.id).state.value for x in (a, b)}
        assert states == {"succeeded"}
        assert steward.get(c.id).state.value == "failed"
        assert logs.getvalue(), "the worker wrote no logs"
        assert CANARY_PASSWORD not in logs.getvalue()
        entries = steward.audit.entries()
        assert CANARY_PASSWORD not in json.dumps([e.payload for e in entries])
        evidence = _all_bytes_of_evidence(steward.settings.evidence_dir)
        assert any("trace" in name for name, _ in evidence), "no trace members were inspected"
        for name, data in evidence:
            assert CANARY_PASSWORD.encode() not in data, name
        assert CANARY_PASSWORD not in _database_text(steward, db_url)

    def test_precondition_failure_names_the_step(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any
    ) -> None:
        """A suspended account fails the 'Active' precondition: failed, nothing committed."""
        steward = make_steward(db_url)
        before = billing.db.count_events("ACC-000013")
        rec, _ = steward.submit(credit("ACC-000013", 100), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed" and rec.commit_started_at is None
        assert "account-status" in (rec.outcome or {})["step"]
        assert billing.db.count_events("ACC-000013") == before


class TestAuditChain:
    def test_chain_verifies_and_detects_a_changed_row(
        self, db_url: str, make_steward: Any, run_worker: Any, accounts: Any
    ) -> None:
        """verify passes on a real run; an UPDATE behind dropped triggers is named by seq."""
        steward = make_steward(db_url)
        rec, _ = steward.submit(SubmitRequestFactory.email(accounts.take()), AGENT)
        steward.confirm(rec.id, confirmation_for(rec), AGENT)
        run_worker(steward)
        report = steward.audit.verify(evidence=steward.evidence)
        assert report.ok, report.problems
        target = steward.audit.entries(action_id=rec.id, types=["request.received"])[0]
        with steward.engine.begin() as conn:
            if db_url.startswith("sqlite"):
                for name in (
                    conn.execute(sa.text("select name from sqlite_master where type='trigger'")).scalars().all()
                ):
                    conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
            else:
                conn.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER ALL"))
            conn.execute(sa.text("UPDATE audit_entries SET actor = 'agent:mallory' WHERE seq = :s"), {"s": target.seq})
        report = steward.audit.verify()
        assert not report.ok and report.first_bad_seq == target.seq

    def test_update_and_delete_refused(self, db_url: str, make_steward: Any) -> None:
        """The database itself refuses UPDATE and DELETE on the log."""
        steward = make_steward(db_url)
        steward.kill("global", "op", "x")
        for sql in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries"):
            with pytest.raises(sa.exc.DBAPIError), steward.engine.begin() as conn:
                conn.execute(sa.text(sql))


class SubmitRequestFactory:
    @staticmethod
    def email(account: str) -> Any:
        from executor.models import SubmitRequest
        from tests.executor.conftest import context

        return SubmitRequest(
            action="update_contact_email",
            context=context(),
            params={"account_id": account, "new_email": f"audit.{account.lower()}@example.com"},
        )
