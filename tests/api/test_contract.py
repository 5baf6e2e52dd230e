"""The OpenAPI document is the contract: committed, complete, typed, and matched by the wire models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import executor.wire as wire
from executor.api.errors import RETRY_AFTER_503_S, error_response
from tests.api.conftest import Api

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = ("the served OpenAPI document differs from docs/openapi.json; "
              "run: steward api openapi --out docs/openapi.json")

OPERATIONS = {
    ("post", "/v1/actions"): "submitAction",
    ("get", "/v1/actions"): "listActions",
    ("get", "/v1/actions/{request_id}"): "getAction",
    ("post", "/v1/actions/{request_id}/confirmation"): "confirmAction",
    ("post", "/v1/actions/{request_id}/approve"): "approveAction",
    ("post", "/v1/actions/{request_id}/reject"): "rejectAction",
    ("post", "/v1/actions/{request_id}/cancel"): "cancelAction",
    ("get", "/v1/actions/{request_id}/evidence/{sha256}"): "getEvidence",
    ("get", "/v1/approvals"): "listApprovals",
    ("get", "/v1/me"): "whoAmI",
    ("post", "/v1/kill-switch"): "engageKillSwitch",
    ("delete", "/v1/kill-switch/{scope}"): "releaseKillSwitch",
    ("get", "/v1/kill-switch"): "listKillSwitches",
    ("get", "/v1/catalog"): "getCatalog",
    ("get", "/v1/audit/events"): "listAuditEvents",
    ("get", "/v1/audit/verify"): "verifyAudit",
    ("get", "/v1/audit/proof/{seq}"): "getAuditProof",
    ("get", "/v1/audit/timeline/{request_id}"): "getRequestTimeline",
    ("get", "/v1/audit/affected"): "listAffected",
    ("get", "/v1/audit/export"): "exportAudit",
    ("get", "/v1/ops/overview"): "getOpsOverview",
}
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in doc["paths"].items() for method, op in item.items()}


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    """The document as the server builds it (no database needed)."""
    from executor.api.openapi import openapi_document

    return openapi_document()


class TestCommittedDocument:
    def test_served_document_is_the_committed_one(self, api: Api) -> None:
        """GET /openapi.json equals docs/openapi.json: every change to the contract shows up in review."""
        live = api.client.get("/openapi.json").json()
        assert live == json.loads(DOC.read_text(encoding="utf-8")), REGENERATE

    def test_committed_text_is_what_the_command_writes(self) -> None:
        """docs/openapi.json is byte for byte the output of `steward api openapi`."""
        from executor.cli.api_cmds import render_openapi

        assert render_openapi() == DOC.read_text(encoding="utf-8"), REGENERATE

    def test_check_command(self, tmp_path: Path) -> None:
        """`steward api openapi --out F --check` exits 1 on a stale file and 0 once written."""
        from typer.testing import CliRunner

        from executor.cli import app

        stale = tmp_path / "openapi.json"
        stale.write_text("{}\n")
        runner = CliRunner()
        res = runner.invoke(app, ["api", "openapi", "--out", str(stale), "--check"])
        assert res.exit_code == 1 and "steward api openapi --out" in res.output
        assert runner.invoke(app, ["api", "openapi", "--out", str(stale)]).exit_code == 0
        assert runner.invoke(app, ["api", "openapi", "--out", str(stale), "--check"]).exit_code == 0


class TestOperations:
    def test_stable_operation_ids_and_tags(self, served: dict[str, Any]) -> None:
        """The operationIds clients are generated with never change; every operation has one and one tag."""
        ops = _operations(served)
        ids = {key: op.get("operationId") for key, op in ops.items()}
        assert OPERATIONS.items() <= ids.items(), "an operationId changed: generated clients would break"
        assert all(ids.values()) and len(set(ids.values())) == len(ids), "give every route a unique operation_id="
        tags = {t["name"] for t in served["tags"]}
        assert all(len(op["tags"]) == 1 and op["tags"][0] in tags for op in ops.values())

    def test_every_error_status_uses_the_envelope(self, served: dict[str, Any]) -> None:
        """401, 403, 413, 422, 429 and 503 everywhere (404, 409 where ids or states matter), all the envelope."""
        for key, op in _operations(served).items():
            codes = {int(c) for c in op["responses"]}
            assert {400, 401, 403, 413, 422, 429, 500, 503} <= codes, key
            if "{" in key[1]:
                assert 404 in codes, key
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert response["content"] == {"application/json": {"schema": ENVELOPE}}, (key, code)
                    assert response["description"], (key, code)
            for code in ("429", "503"):
                header = op["responses"][code]["headers"]["Retry-After"]
                assert header["required"] and header["schema"]["type"] == "integer", key
            assert op["responses"]["401"]["headers"]["WWW-Authenticate"]["required"], key
        for key in [k for k in OPERATIONS if k[1].startswith("/v1/actions/{request_id}/")]:
            if key[1].rsplit("/", 1)[-1] in ("approve", "reject", "cancel", "confirmation"):
                assert "409" in _operations(served)[key]["responses"], key

    def test_no_fastapi_validation_body(self, served: dict[str, Any]) -> None:
        """FastAPI's {"detail": [...]} 422 body appears nowhere: the server never sends it."""
        text = json.dumps(served)
        assert "HTTPValidationError" not in text and '"detail"' not in text
        assert "ValidationIssue" in served["components"]["schemas"]

    def test_every_success_is_typed(self, served: dict[str, Any]) -> None:
        """Each 2xx JSON response names a schema (no bare `type: object`); evidence is binary."""
        for key, op in _operations(served).items():
            ok = {c: r for c, r in op["responses"].items() if c.startswith("2")}
            assert ok, key
            for code, response in ok.items():
                for media, content in response["content"].items():
                    if media == "application/json":
                        assert set(content["schema"]) == {"$ref"}, (key, code)
                    else:
                        assert content["schema"] == {"type": "string", "format": "binary"}, (key, media)


def _models() -> list[type[BaseModel]]:
    return [m for m in (getattr(wire, n) for n in wire.__all__)
            if isinstance(m, type) and issubclass(m, wire.WireModel) and m is not wire.WireModel]


class TestWireModels:
    def test_public_surface(self) -> None:
        """executor.wire exports exactly its documented names."""
        assert sorted(wire.__all__) == [
            "ActionClassName", "ActionList", "ActionRequest", "ActionRequestView", "AffectedAction", "AffectedList",
            "Approval", "ApprovalList", "ApprovalRecord", "AuditEvent", "AuditEventPage", "AuditRange", "Catalog",
            "CatalogAction", "CheckpointInfo", "ConfirmationRecord", "EXACT", "ErrorEnvelope", "ErrorInfo",
            "EvidenceRef", "HandoffAction", "HandoffPacket", "HandoffReason", "HeldKillSwitch", "Identity",
            "InclusionProof", "KillSwitch", "KillSwitchList", "KillSwitchRelease", "LimitCheck", "OpsNow",
            "OpsOverview", "Outcome", "PolicyDecision", "ProofResult", "RequestErrorInfo", "RequestTimeline",
            "RuleHit", "SubmitResult", "TimelineEntry", "ValidationIssue", "VerifierInfo", "VerifyResult",
            "WireModel", "exact",
        ]

    @pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
    def test_every_field_is_described_with_an_example(self, model: type[BaseModel]) -> None:
        """Descriptions on every field; examples on every field that is not itself a model."""
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
            nested = any(isinstance(t, type) and issubclass(t, BaseModel)
                         for t in (field.annotation, *getattr(field.annotation, "__args__", ())))
            assert nested or field.examples, f"{model.__name__}.{name} has no example"

    def test_importable_without_the_server_stack(self) -> None:
        """Importing executor.wire and the client loads pydantic and httpx, never FastAPI, SQLAlchemy or Playwright."""
        heavy = ("fastapi", "starlette", "sqlalchemy", "playwright", "action_classes", "policies", "audit")
        code = (f"import sys, executor.wire, executor.client; bad = [m for m in {heavy!r} if m in sys.modules]; "
                "print(bad); sys.exit(1 if bad else 0)")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def test_server_refuses_what_a_model_does_not_declare(self) -> None:
        """exact() refuses an undeclared key, also in a nested model; plain reading ignores it."""
        data = {"entry": {"seq": 0, "ts": "t", "type": "x", "action_id": None, "actor": "a", "payload": {},
                          "prev_hash": "0", "hash": "1", "surprise": 1},
                "proof": {"seq": 0, "tree_size": 1, "leaf_hash": "1", "root": "1", "path": []}}
        with pytest.raises(ValidationError, match="does not declare"):
            wire.exact(wire.ProofResult, data)
        assert wire.ProofResult.model_validate(data).entry.seq == 0

    def test_open_objects_stay_open(self) -> None:
        """Outcome keeps keys it does not name (runs may add more), on both sides."""
        outcome = wire.exact(wire.Outcome, {"reason": "verified", "verification": {"checked": 2}})
        assert outcome.model_dump(exclude_unset=True) == {"reason": "verified", "verification": {"checked": 2}}

    def test_models_cover_the_sources(self) -> None:
        """The wire models name every field of what the server serialises (no drift from the sources)."""
        from action_classes import ActionClass
        from audit.models import AuditEntry, InclusionProof, VerifyReport
        from executor.states import RequestState
        from policies.decision import Decision, LimitCheck, RuleHit

        def names(model: type[BaseModel]) -> set[str]:
            return {f.serialization_alias or f.alias or n for n, f in model.model_fields.items()}

        assert names(AuditEntry) == names(wire.AuditEvent)
        assert names(InclusionProof) == names(wire.InclusionProof)
        assert names(VerifyReport) | {"summary", "verifier"} == names(wire.VerifyResult)
        assert names(Decision) == names(wire.PolicyDecision)
        assert names(RuleHit) == names(wire.RuleHit) and names(LimitCheck) == names(wire.LimitCheck)
        assert set(wire.ActionClassName.__args__) == {c.value for c in ActionClass}  # type: ignore[attr-defined]
        assert {s.value for s in RequestState} == set(wire.ActionRequest.model_json_schema()["$defs"]
                                                      ["RequestState"]["enum"])


class TestRetryAfter:
    def test_every_503_says_when_to_retry(self) -> None:
        """A 503 envelope always carries Retry-After (whole seconds), as the document says."""
        response = error_response(503, "audit_unavailable", "the audit log could not be read")
        assert response.headers["Retry-After"] == str(RETRY_AFTER_503_S)
        assert json.loads(bytes(response.body)) == {"error": {"code": "audit_unavailable", "details": None,
                                                              "message": "the audit log could not be read"}}


class TestBodiesUnchanged:
    def test_responses_are_the_served_data_exactly(self, api: Api) -> None:
        """Typing the responses changed no body: each is the data the routes served before, key for key."""
        from executor.api._queries import list_requests

        steward = api.steward
        credit = {"action": "issue_credit", "params": {"account_id": "ACC-000042", "amount_cents": 20_000,
                                                       "reason": "Double charge"}, "context": {"customer_goal": "x"}}
        submitted = api.client.post("/v1/actions", headers=api.h("agent"), json=credit).json()
        rec = steward.get(submitted["id"])
        seqs = [e.seq for e in steward.audit.entries(action_id=rec.id)]
        view = {**rec.public(), "audit_range": {"first_seq": min(seqs), "last_seq": max(seqs)}}

        def same(body: Any, data: Any) -> None:
            assert body == json.loads(json.dumps(data, default=str))

        same(submitted, {**view, "created": True, "handoff": steward.handoff(rec)})
        same(api.client.get(f"/v1/actions/{rec.id}", headers=api.h("auditor")).json(), view)
        same(api.client.get("/v1/actions", headers=api.h("operator")).json(),
             {"requests": [r.public() for r in list_requests(steward.engine, limit=50)], "total": 1, "offset": 0,
              "next_offset": None})
        same(api.client.get("/v1/approvals", headers=api.h("operator")).json(),
             {"approvals": [{"request": rec.public(), "handoff": steward.handoff(rec), "caller_is_requester": False}]})
        page = api.client.get("/v1/audit/events", headers=api.h("auditor"), params={"limit": 1000}).json()
        same(page, {"events": [e.model_dump(mode="json") for e in steward.audit.entries(limit=1000)],
                    "next_after_seq": None})
        report = steward.verify_audit(steward.verifier_key())
        same(api.client.get("/v1/audit/verify", headers=api.h("auditor")).json(),
             {**report.model_dump(mode="json"), "summary": report.summary(),
              "verifier": steward.verifier_key().public()})
