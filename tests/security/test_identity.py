"""Issue 17 item 9: spoofed spellings of the requester are refused as approvers, on every path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from executor.apikeys import KeyStore
from executor.cli import app
from executor.errors import InvalidInput, SelfApproval
from executor.identity import canonical_identity, check_operator
from executor.models import RequestContext, SubmitRequest

runner = CliRunner()
REQUESTER = "dana"
# Every way the issue found to pass `dana` off as someone else, and a few more of the same kinds.
SPOOFS = {
    "worker prefix": "worker:dana",
    "system prefix": "system:dana",
    "operator prefix": "operator:dana",
    "agent prefix, upper case": "AGENT:Dana",
    "zero-width space": "da\u200bna",
    "zero-width joiner at the end": "dana\u200d",
    "byte order mark": "\ufeffdana",
    "fullwidth letters": "\uff44\uff41\uff4e\uff41",
    "fullwidth colon prefix": "worker\uff1adana",
    "trailing dot": "dana.",
    "trailing dots and spaces": " dana.. ",
    "combining accent": "dan\u0061\u0301",
    "mathematical bold": "\U0001d41d\U0001d41a\U0001d427\U0001d41a",
}
HYPHENATED = {"hyphen": "da\u2010na", "non-breaking hyphen": "da\u2011na", "en dash": "da\u2013na",
              "minus sign": "da\u2212na", "fullwidth hyphen-minus": "da\uff0dna"}


def _pending_credit(steward: Any, requester: str) -> Any:
    body = SubmitRequest(action="issue_credit",
                         params={"account_id": "ACC-000005", "amount_cents": 20_000, "reason": "refund"},
                         context=RequestContext(agent_confidence=0.9))
    rec, _ = steward.submit(body, requester)
    assert rec.state.value == "awaiting_approval"
    return rec


class TestCanonicalForm:
    @pytest.mark.parametrize("spoof", list(SPOOFS.values()), ids=list(SPOOFS))
    def test_spoofs_fold_to_the_same_identity(self, spoof: str) -> None:
        """Each spelling folds to the requester's canonical form."""
        assert canonical_identity(spoof) == canonical_identity(REQUESTER) == "dana"

    @pytest.mark.parametrize("spoof", list(HYPHENATED.values()), ids=list(HYPHENATED))
    def test_unicode_dashes_are_hyphens(self, spoof: str) -> None:
        """Unicode hyphens, dashes and minus signs compare as the ASCII hyphen-minus."""
        assert canonical_identity(spoof) == canonical_identity("DA-NA") == "da-na"

    def test_different_people_stay_different(self) -> None:
        """Folding never merges names that differ in letters."""
        assert canonical_identity("dana") != canonical_identity("diana")
        assert canonical_identity("ops:dana") == "ops:dana"  # not a role prefix: kept

    @pytest.mark.parametrize("name", ["", "   ", "\u200b", "...", "operator:", "worker:dana", "System : x",
                                      "dana\u200b", "da\x07na"])
    def test_names_that_may_not_act(self, name: str) -> None:
        """Empty once folded, reserved prefixes, invisible or control characters: refused as operator names."""
        with pytest.raises(InvalidInput):
            check_operator(name)


class TestSelfApproval:
    @pytest.mark.parametrize("spoof", [*SPOOFS.values(), "Dana"], ids=[*SPOOFS, "capitalised"])
    def test_each_spoof_is_refused_as_approver(self, spoof: str, make_steward: Callable[..., Any],
                                               tmp_path: Path) -> None:
        """Approving one's own request under a spoofed spelling is refused and the request keeps waiting."""
        steward = make_steward(f"sqlite:///{tmp_path / 'id.db'}")
        rec = _pending_credit(steward, REQUESTER)
        with pytest.raises((SelfApproval, InvalidInput)):
            steward.approve(rec.id, spoof, "looks fine")
        with pytest.raises((SelfApproval, InvalidInput)):
            steward.reject(rec.id, spoof, "no")
        assert steward.get(rec.id).state.value == "awaiting_approval"
        assert steward.approve(rec.id, "olga", "ok").state.value == "queued"

    def test_hyphen_spoof_of_a_hyphenated_requester(self, make_steward: Callable[..., Any], tmp_path: Path) -> None:
        """A requester named with a hyphen cannot approve under a Unicode dash."""
        steward = make_steward(f"sqlite:///{tmp_path / 'id.db'}")
        rec = _pending_credit(steward, "da-na")
        for spoof in HYPHENATED.values():
            with pytest.raises(SelfApproval):
                steward.approve(rec.id, spoof, "fine")

    def test_reserved_prefixes_refused_for_requesters_and_halts(self, make_steward: Callable[..., Any],
                                                                tmp_path: Path) -> None:
        """worker: and system: are Steward's own actors: no operator or requester may use them."""
        steward = make_steward(f"sqlite:///{tmp_path / 'id.db'}")
        with pytest.raises(InvalidInput, match="reserved prefix"):
            _pending_credit(steward, "system:expiry")
        with pytest.raises(InvalidInput, match="reserved prefix"):
            steward.kill("global", "worker:w1", "drill")
        assert steward.store.kill_switches() == []


class TestKeysAndCli:
    def test_api_keys_whose_names_fold_together_cannot_approve(self, make_steward: Callable[..., Any],
                                                               tmp_path: Path) -> None:
        """Over the API, an operator key named like the agent key (case, trailing dot) is refused as approver."""
        from fastapi.testclient import TestClient

        from executor.api import ApiConfig, create_app

        steward = make_steward(f"sqlite:///{tmp_path / 'k.db'}")
        keys = KeyStore(steward.engine)
        _, agent = keys.create("dana", "agent")
        _, twin = keys.create("Dana.", "operator")
        _, other = keys.create("olga", "operator")
        with TestClient(create_app(steward, config=ApiConfig(rate_per_s=0))) as client:
            r = client.post("/v1/actions", headers={"Authorization": f"Bearer {agent}"}, json={
                "action": "issue_credit", "params": {"account_id": "ACC-000006", "amount_cents": 20_000,
                                                     "reason": "refund"}, "context": {"agent_confidence": 0.9}})
            rid = r.json()["id"]
            r = client.post(f"/v1/actions/{rid}/approve", headers={"Authorization": f"Bearer {twin}"}, json={})
            assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval", r.text
            r = client.post(f"/v1/actions/{rid}/approve", headers={"Authorization": f"Bearer {other}"}, json={})
            assert r.status_code == 200 and r.json()["state"] == "queued", r.text

    def test_local_cli_warns_and_refuses_the_spoof(self, make_steward: Callable[..., Any], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """Without --server a spoofed approval is refused in one error line; a local act that succeeds
        warns on stderr that its identity was not authenticated."""
        db = f"sqlite:///{tmp_path / 'cli.db'}"
        monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
        rec = _pending_credit(make_steward(db), REQUESTER)
        for spoof in ("da\u200bna", "D\uff21NA.", "worker:dana"):
            result = runner.invoke(app, ["approve", rec.id, "--operator", spoof, "--db", db])
            lines = result.stderr.strip().splitlines()
            assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        result = runner.invoke(app, ["approve", rec.id, "--operator", "olga", "--db", db])
        assert result.exit_code == 0, result.output
        warning = result.stderr.strip().splitlines()
        assert len(warning) == 1 and warning[0].startswith("warning: approve without --server: the identity was "
                                                           "not authenticated") and "--server" in warning[0]
        result = runner.invoke(app, ["kill", "--scope", "global", "--operator", "olga", "--reason", "drill",
                                     "--db", db])
        assert result.exit_code == 0 and result.stderr.startswith("warning: kill without --server")
