"""Auditor routes: read, verify and export the log, prove inclusion, a request's timeline, incident windows."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from audit import format_ts, parse_ts
from audit.export import export
from audit.timeline import action_timeline, affected_actions, describe
from executor.api.auth import Caller, require, state_of
from executor.api.errors import ApiError
from executor.api.openapi import errors
from executor.wire import AffectedList, AuditEventPage, ProofResult, RequestTimeline, VerifyResult, exact

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Auditor = Annotated[Caller, Depends(require("auditor"))]
_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/events", summary="Audit events in seq order, paged", operation_id="listAuditEvents",
            response_model=AuditEventPage, response_model_exclude_unset=True, responses=errors())
def events(request: Request, caller: Auditor,
           after_seq: Annotated[int | None, Query(ge=-1, le=2**62, description="Only entries after this seq.")] = None,
           limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 100,
           action_id: Annotated[str | None, Query(max_length=64, description="Only this request's events.")] = None,
           type: Annotated[list[str] | None, Query(max_length=100, description="Only these event types.")] = None,
           ) -> AuditEventPage:
    """A page of entries; pass ``next_after_seq`` back as ``after_seq`` for the next page."""
    audit = state_of(request).steward.audit
    page = audit.entries(action_id=action_id, after_seq=after_seq, limit=limit, types=type)
    return exact(AuditEventPage, {"events": [e.model_dump(mode="json") for e in page],
                                  "next_after_seq": page[-1].seq if len(page) == limit else None})


@router.get("/verify", summary="Verify the whole log", operation_id="verifyAudit",
            response_model=VerifyResult, response_model_exclude_unset=True, responses=errors())
def verify(request: Request, caller: Auditor) -> VerifyResult:
    """Chain, Merkle tree, checkpoint signatures and evidence; names the first bad seq and the verifier key.

    The key is ``STEWARD_VERIFIER_KEY`` or the server's ``keys/audit.pub``
    (``verifier`` says which). Without a usable key, a log with signed
    checkpoints is reported not ok: its signatures were not checked.
    """
    steward = state_of(request).steward
    key = steward.verifier_key()
    report = steward.verify_audit(key)
    return exact(VerifyResult, {**report.model_dump(mode="json"), "summary": report.summary(),
                                "verifier": key.public()})


@router.get("/proof/{seq}", summary="Inclusion proof of one entry", operation_id="getAuditProof",
            response_model=ProofResult, response_model_exclude_unset=True,
            responses=errors(404, described={404: "No entry `seq` in a tree of `tree_size` entries (`not_found`)."}))
def proof(request: Request, caller: Auditor,
          seq: Annotated[int, Path(ge=0, le=2**62, description="The entry's seq.")],
          tree_size: Annotated[int | None, Query(ge=1, le=2**62, description="Tree size (default: all).")] = None,
          ) -> ProofResult:
    """RFC 6962/9162 inclusion proof of entry ``seq`` in the tree of ``tree_size`` entries."""
    audit = state_of(request).steward.audit
    size = tree_size if tree_size is not None else audit.size()
    if seq >= size:
        from executor.errors import NotFound

        raise NotFound(f"no audit entry {seq} in a tree of {size} entries")
    entry = audit.get(seq)
    return exact(ProofResult, {"entry": entry.model_dump(mode="json"),
                               "proof": audit.inclusion_proof(seq, tree_size).model_dump(mode="json")})


@router.get("/timeline/{request_id}", summary="A request's audit events with inclusion proofs (operator, auditor)",
            operation_id="getRequestTimeline", response_model=RequestTimeline, response_model_exclude_unset=True,
            responses=errors(404, described={404: "No such request (`not_found`)."}))
def timeline(request: Request, caller: Annotated[Caller, Depends(require("operator", "auditor"))],
             request_id: Annotated[str, Path(min_length=1, max_length=64, description="The request id (req_...).")],
             ) -> RequestTimeline:
    """Every event of the request with a one-line summary, each proved against the latest signed checkpoint.

    The checkpoint's signature is checked with the configured verifier key,
    and each entry carries its proof path so a client (the console) can
    recompute the root from the entry's hash itself.
    """
    steward = state_of(request).steward
    steward.get(request_id)  # 404 for an unknown request
    key = steward.verifier_key()
    log = steward.audit
    t = action_timeline(log, request_id, verifier=key.verifier)
    status = {s.seq: s for s in t.inclusion}
    latest = log.latest_checkpoint()
    entries = []
    for e in t.entries:
        s = status[e.seq]
        proof = log.inclusion_proof(e.seq, latest.size).path if s.status == "included" and latest else None
        entries.append({"event": e.model_dump(mode="json"), "summary": describe(e), "inclusion": s.status,
                        "proof": proof, "failure": s.detail})
    checkpoint = None
    if latest is not None:
        checkpoint = {"size": latest.size, "root": latest.root, "signature": t.checkpoint_signature}
    return exact(RequestTimeline, {"action_id": request_id, "entries": entries, "checkpoint": checkpoint,
                                   "verifier": key.public()})


@router.get("/affected", summary="Requests that changed records in a window (incident review)",
            operation_id="listAffected", response_model=AffectedList, response_model_exclude_unset=True,
            responses={200: {"content": {"text/csv": _BINARY},
                             "description": "The requests whose commit step started in [since, until), oldest "
                             "first: JSON, or CSV with `format=csv` (one row per request)."},
                       **errors(described={422: "A bad time, `since` not before `until`, or an unknown format "
                                           "(`invalid_request`)."})})
def affected(request: Request, caller: Annotated[Caller, Depends(require("auditor", "operator"))],
             since: Annotated[str, Query(max_length=40, description="Window start (ISO-8601, UTC unless a zone is "
                                         "given).")],
             until: Annotated[str | None, Query(max_length=40, description="Window end, exclusive (default: now).")
                              ] = None,
             action: Annotated[str | None, Query(max_length=64, description="Only this action.")] = None,
             target: Annotated[str | None, Query(max_length=64, description="Only this target.")] = None,
             format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
             ) -> Any:
    """What `steward audit affected` prints: action, parameters as logged, outcome, values and evidence."""
    start = _ts("since", since)
    end = _ts("until", until) if until else format_ts(datetime.now(UTC))
    if start >= end:
        raise ApiError(422, "invalid_request", "since must be before until", details={"since": start, "until": end})
    found = affected_actions(state_of(request).steward.audit, start, end, action=action, target=target)
    data = exact(AffectedList, {"since": start, "until": end, "actions": [a.model_dump() for a in found]})
    if format == "json":
        return data
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["committed_at", "action_id", "action", "target", "requester", "outcome", "params", "values",
                     "evidence_sha256"])
    for a in data.actions:
        writer.writerow([a.committed_at, a.action_id, a.action, a.target, a.requester, a.outcome,
                         json.dumps(a.params, sort_keys=True), json.dumps(a.values, sort_keys=True),
                         " ".join(str(e.get("sha256")) for e in a.evidence)])
    name = f"affected-{start[:10]}-{end[:10]}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/export", summary="Download the log for offline verification (zip)", operation_id="exportAudit",
            response_class=Response,
            responses={200: {"content": {"application/zip": _BINARY, "application/octet-stream": _BINARY},
                             "description": "A zip of entries.jsonl, checkpoints/ and evidence-manifest.json "
                             "(`steward audit export`); check it offline with `steward audit verify --export "
                             "DIR --key <verifier key>`."}, **errors()})
def export_zip(request: Request, caller: Auditor) -> Response:
    """The whole log as `steward audit export` writes it, zipped (evidence files are not included)."""
    steward = state_of(request).steward
    with tempfile.TemporaryDirectory(prefix="steward-export-") as tmp:
        folder = FilePath(tmp) / "export"
        export(steward.engine, folder, steward.evidence)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(folder).as_posix())
    stamp = format_ts(datetime.now(UTC)).replace(":", "").replace("-", "")[:15]
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="steward-audit-{stamp}.zip"',
                             "Cache-Control": "no-store"})


def _ts(name: str, text: str) -> str:
    try:
        return format_ts(parse_ts(text))
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"{name}={text[:40]!r} is not an ISO-8601 date or date-time",
                       details={"parameter": name}) from exc
