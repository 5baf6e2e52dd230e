"""``GET /v1/actions/{id}/evidence/{sha256}``: one evidence file, re-hashed before it is served.

Who may read what:

- operators and auditors: every screenshot and trace of any request;
- an agent: only the screenshots of requests it submitted (another agent's
  request is a 404, as everywhere); a trace (every page, every request the
  browser made) never, 403.

A sha256 that no ``evidence.stored`` event of that request names is a 404,
so the route cannot be used to read arbitrary blobs of the store. The file is
hashed again before it is sent; one that no longer matches its name was
changed on disk and is refused with 409 ``evidence_corrupt`` (nothing is sent).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from audit import EvidenceCorruptError, EvidenceNotFoundError
from executor.api.auth import Caller, require, state_of
from executor.api.errors import ApiError
from executor.api.openapi import errors
from executor.errors import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/v1/actions", tags=["actions"])

_SERVED_TYPES = {"image/png", "application/zip"}
_AGENT_KINDS = {"screenshot"}


def _reference(steward: Any, request_id: str, sha256: str) -> dict[str, Any]:
    """The evidence.stored payload of ``request_id`` that names ``sha256``; NotFound otherwise."""
    for entry in steward.audit.entries(action_id=request_id, types=["evidence.stored"]):
        if entry.payload.get("sha256") == sha256:
            return dict(entry.payload)
    raise NotFound(f"request {request_id} has no evidence {sha256}")


def _load(request: Request, caller: Caller, request_id: str, sha256: str) -> tuple[bytes, dict[str, Any]]:
    steward = state_of(request).steward
    rec = steward.get(request_id)
    if caller.role == "agent" and rec.requester != caller.name:
        raise NotFound(f"no request {request_id!r}")
    ref = _reference(steward, request_id, sha256)
    kind = str(ref.get("kind", ""))
    if caller.role == "agent" and kind not in _AGENT_KINDS:
        raise ApiError(403, "forbidden", f"an agent key may read only screenshots of its own requests, not a {kind}",
                       details={"kind": kind})
    try:
        data = steward.evidence.read(sha256)
    except EvidenceNotFoundError as exc:
        raise ApiError(404, "evidence_missing", f"evidence {sha256} is referenced in the audit log but missing "
                       "from the evidence store", details={"sha256": sha256}) from exc
    except EvidenceCorruptError as exc:
        raise ApiError(409, "evidence_corrupt", f"evidence {sha256} changed on disk: its content no longer "
                       "hashes to its name, so it is not served", details={"sha256": sha256}) from exc
    return data, ref


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{request_id}/evidence/{sha256}",
    summary="An evidence file (operator, auditor; an agent: screenshots of its own requests)",
    operation_id="getEvidence",
    response_class=Response,
    responses={200: {"content": {"image/png": _BINARY, "application/zip": _BINARY,
                                 "application/octet-stream": _BINARY},
                     "description": "The file, re-hashed against its sha256 before it is sent: image/png for a "
                     "screenshot, application/zip for a Playwright trace."},
               **errors(404, 409, described={
                   403: "The key's role may not read evidence, or an agent asked for a trace (`forbidden`).",
                   404: "No such request for this caller, the request names no such evidence (`not_found`), or "
                   "the file is missing from the store (`evidence_missing`).",
                   409: "The file changed on disk (`evidence_corrupt`): nothing is sent."})},
)
async def evidence(
    request: Request,
    request_id: Annotated[str, Path(min_length=1, max_length=64, description="The request id (req_...).")],
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The evidence file's sha256 (hex).")],
    caller: Annotated[Caller, Depends(require("agent", "operator", "auditor"))],
) -> Response:
    """The bytes with their media type (image/png, application/zip), after checking they still hash to sha256."""
    data, ref = await run_in_threadpool(_load, request, caller, request_id, sha256)
    media = str(ref.get("media_type", ""))
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
               "ETag": f'"{sha256}"', "Content-Security-Policy": "default-src 'none'; sandbox"}
    if media == "application/zip":
        headers["Content-Disposition"] = f'attachment; filename="{request_id}-{sha256[:12]}.zip"'
    return Response(content=data, media_type=media if media in _SERVED_TYPES else "application/octet-stream",
                    headers=headers)
