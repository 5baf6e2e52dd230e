"""Auditor routes: read the log page by page, verify it, prove an entry's inclusion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from executor.api.auth import Caller, require, state_of
from executor.api.openapi import errors
from executor.wire import AuditEventPage, ProofResult, VerifyResult, exact

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Auditor = Annotated[Caller, Depends(require("auditor"))]


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
