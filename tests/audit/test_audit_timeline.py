"""Reading the log back: one action's timeline and what changed in a window."""

from __future__ import annotations

import pytest
from _audit_support import tamper

from audit import AuditLog, Checkpointer, FakeClock, Signer
from audit.timeline import action_timeline, affected_actions, format_affected, format_timeline


def story(log: AuditLog, action_id: str, action: str, target: str, commit: bool = True) -> None:
    """The events the executor writes for one request (SPEC conventions)."""
    a = {"actor": "agent:bot-1", "action_id": action_id}
    log.append("request.received", **a, payload={
        "action": action, "target": target, "params": {"account_id": "ACC-000001", "amount_cents": 1500},
        "requester": "agent:bot-1", "context": {"account_tier": "pro"}, "params_hash": "ab" * 32})
    log.append("policy.decided", actor="policy", action_id=action_id, payload={
        "class": "autonomous", "rules": [{"id": "small-credits", "class": "autonomous", "reason": "small"}],
        "policy_version": "cd" * 32})
    log.append("request.queued", actor="system", action_id=action_id,
               payload={"from": "received", "to": "queued", "reason": None})
    if commit:
        log.append("commit.started", actor="worker", action_id=action_id, payload={})
        log.append("commit.completed", actor="worker", action_id=action_id, payload={})
        log.append("values.extracted", actor="worker", action_id=action_id,
                   payload={"values": {"balance_after": "$12.00"}})
        log.append("evidence.stored", actor="worker", action_id=action_id, payload={
            "kind": "screenshot", "sha256": "ef" * 32, "size": 10, "label": "after commit"})
    log.append("request.succeeded" if commit else "request.failed", actor="worker", action_id=action_id,
               payload={"from": "executing", "to": "succeeded" if commit else "failed", "reason": None})


class TestShow:
    """action_timeline: the readable story of one action."""

    def test_summary_and_entries(self, log: AuditLog) -> None:
        """The timeline names action, target, class, rules and the final state."""
        story(log, "req_1", "issue_credit", "billing_console")
        story(log, "req_2", "update_contact_email", "billing_console")
        t = action_timeline(log, "req_1")
        assert (t.action, t.target, t.decided_class, t.state) == (
            "issue_credit", "billing_console", "autonomous", "succeeded")
        assert t.rules == ["small-credits"] and len(t.entries) == 8
        text = format_timeline(t)
        assert "issue_credit on billing_console" in text and "received -> queued" in text

    def test_inclusion_status(self, log: AuditLog, signer: Signer) -> None:
        """Entries are pending until a checkpoint covers them, then proven with its signature."""
        story(log, "req_1", "issue_credit", "billing_console")
        assert {s.status for s in action_timeline(log, "req_1").inclusion} == {"pending"}
        Checkpointer(log, signer).checkpoint()
        story(log, "req_1", "issue_credit", "billing_console")  # more events after the checkpoint
        t = action_timeline(log, "req_1", verifier=signer.verifier())
        assert [s.status for s in t.inclusion] == ["included"] * 8 + ["pending"] * 8
        assert t.checkpoint_signature == "verified"
        assert "8/16 entries proven in checkpoint 8" in format_timeline(t)

    def test_tampered_entry_fails_its_proof(self, log: AuditLog, signer: Signer) -> None:
        """An entry edited after the checkpoint no longer proves into it."""
        story(log, "req_1", "issue_credit", "billing_console")
        Checkpointer(log, signer).checkpoint()
        tamper(log.engine, "UPDATE audit_entries SET actor = 'operator:mallory' WHERE seq = 2")
        t = action_timeline(log, "req_1", verifier=signer.verifier())
        assert [s.seq for s in t.inclusion if s.status == "failed"] == [2]
        assert "FAILED" in format_timeline(t)


class TestAffected:
    """affected_actions: every record changed in a window."""

    @pytest.fixture
    def history(self, clock: FakeClock, log: AuditLog) -> list[str]:
        """Four requests at different times; one never committed."""
        stamps = []
        for i, (action, target, commit) in enumerate([
            ("issue_credit", "billing_console", True),
            ("update_contact_email", "billing_console", True),
            ("issue_credit", "crm", True),
            ("issue_credit", "billing_console", False),
        ]):
            clock.advance(hours=1)
            stamps.append(clock.now().isoformat())
            story(log, f"req_{i}", action, target, commit)
        return stamps

    def test_window_and_filters(self, log: AuditLog, history: list[str]) -> None:
        """Only committed actions inside [since, until), filtered by action and target."""
        from audit.clock import format_ts, parse_ts

        def ts(i: int) -> str:
            return format_ts(parse_ts(history[i]))

        found = affected_actions(log, ts(0), "9999")
        assert [a.action_id for a in found] == ["req_0", "req_1", "req_2"]
        assert [a.action_id for a in affected_actions(log, ts(1), ts(2))] == ["req_1"]
        assert [a.action_id for a in affected_actions(log, ts(0), "9999", action="issue_credit")] == [
            "req_0", "req_2"]
        assert [a.action_id for a in affected_actions(log, ts(0), "9999", target="crm")] == ["req_2"]
        first = found[0]
        assert first.outcome == "succeeded" and first.values == {"balance_after": "$12.00"}
        assert first.params["amount_cents"] == 1500 and first.evidence[0]["sha256"] == "ef" * 32
        assert "3 action(s) changed records." in format_affected(found)
        assert format_affected([]) == "No action changed records in that window."
