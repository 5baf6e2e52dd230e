"""A client generated from the served document by openapi-python-client type-checks and works against a live server.

This is what an operator's tool or an agent vendor does with /openapi.json:
generate, type-check their code against it, call the API. The generated
models must type every result and every error (ErrorEnvelope), and the
calls must really submit, read and approve a request over HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import NAMES

pytestmark = pytest.mark.slow

# Written against the generated package only, as a user of the document would.
_USER_CODE = '''
import json
import sys

from steward_api import AuthenticatedClient
from steward_api.api.actions import approve_action, get_action, submit_action
from steward_api.api.identity import who_am_i
from steward_api.models import (
    ActionRequestView,
    ApproveBody,
    ErrorEnvelope,
    Identity,
    RequestState,
    SubmitRequest,
    SubmitResult,
)


def main(base_url: str, agent_token: str, operator_token: str) -> dict[str, object]:
    agent = AuthenticatedClient(base_url=base_url, token=agent_token)
    operator = AuthenticatedClient(base_url=base_url, token=operator_token)
    me = who_am_i.sync(client=agent)
    assert isinstance(me, Identity)
    body = SubmitRequest.from_dict({"action": "issue_credit", "idempotency_key": "generated-1",
                                    "params": {"account_id": "ACC-000042", "amount_cents": 20000,
                                               "reason": "Double charge"}})
    submitted = submit_action.sync_detailed(client=agent, body=body)
    created = submitted.parsed
    assert isinstance(created, SubmitResult), submitted.content
    waiting: RequestState = created.state
    refused = approve_action.sync(created.id, client=agent, body=ApproveBody(note="me?"))
    assert isinstance(refused, ErrorEnvelope), refused
    approved = approve_action.sync(created.id, client=operator, body=ApproveBody(note="checked the ledger"))
    assert isinstance(approved, ActionRequestView), approved
    read = get_action.sync(created.id, client=agent)
    assert isinstance(read, ActionRequestView), read
    missing = get_action.sync("req_missing", client=agent)
    assert isinstance(missing, ErrorEnvelope), missing
    return {
        "me": me.role.value,
        "submit_status": int(submitted.status_code),
        "id": created.id,
        "created": created.created,
        "waiting": waiting.value,
        "refused": refused.error.code,
        "approved_state": approved.state.value,
        "read_state": read.state.value,
        "approver": read.approval.operator if read.approval else None,
        "class": read.class_.value if read.class_ else None,
        "missing": missing.error.code,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3])))
'''


def _run(args: list[str], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(args[:4])}...\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


class TestGeneratedClient:
    @pytest.mark.timeout(600)
    def test_generate_typecheck_and_use(self, live_api: Any, sqlite_url: str, tmp_path: Path) -> None:
        """openapi-python-client output passes mypy --strict and submits, reads and approves over HTTP."""
        api = live_api(sqlite_url)
        document = httpx.get(f"{api.base_url}/openapi.json", timeout=30).json()
        (tmp_path / "openapi.json").write_text(json.dumps(document))
        (tmp_path / "generator.yaml").write_text("post_hooks: []\n")  # no formatter run: not needed to type-check
        done = _run([sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json",
                     "--meta", "none", "--output-path", "steward_api", "--config", "generator.yaml"], tmp_path)
        assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
        package = tmp_path / "steward_api"
        modules = {p.stem for p in (package / "api").rglob("*.py")}
        assert {"submit_action", "get_action", "approve_action", "reject_action", "list_approvals",
                "engage_kill_switch", "list_audit_events", "verify_audit", "get_catalog"} <= modules
        (tmp_path / "use_it.py").write_text(_USER_CODE)

        _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy_cache"),
              "steward_api", "use_it.py"], tmp_path)

        out = _run([sys.executable, "use_it.py", api.base_url, api.tokens["agent"], api.tokens["operator"]],
                   tmp_path, timeout=120)
        result = json.loads(out.stdout.splitlines()[-1])
        assert result == {"me": "agent", "submit_status": 202, "id": result["id"], "created": True,
                          "waiting": "awaiting_approval", "refused": "forbidden", "approved_state": "queued",
                          "read_state": "queued", "approver": NAMES["operator"], "class": "human_approved",
                          "missing": "not_found"}
        assert api.steward.get(result["id"]).approval["operator"] == NAMES["operator"]
