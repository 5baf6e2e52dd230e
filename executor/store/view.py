"""What a request looks like to agents, operators and the CLI, computed from its stored row.

Plain Python over a mapping of column values, so a reader that needs only this
(``steward status ID``) does not load pydantic or SQLAlchemy;
``RequestRecord.public()`` returns the same dict.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from executor.clock import iso
from executor.states import TERMINAL, RequestState

__all__ = ["public_view", "request_ref"]


def request_ref(request_id: str) -> str:
    """``{request.ref}`` of a request: the same as ``action_classes.request_ref`` (a test pins it).

    Repeated here so a lean reader does not import the catalog package.
    """
    return "S-" + base64.b32encode(hashlib.sha256(request_id.encode()).digest()).decode()[:10]


def public_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields shown to agents, operators and the CLI, from a ``steward_requests`` row."""
    outcome = row["outcome"] or {}
    state = RequestState(row["state"])
    return {
        "id": row["id"],
        "ref": request_ref(row["id"]),
        "action": row["action"],
        "target": row["target"],
        "requester": row["requester"],
        "idempotency_key": row["idempotency_key"],
        "params": row["params"],
        "params_hash": row["params_hash"],
        "context": row["context"],
        "state": state.value,
        "class": row["action_class"],
        "decision": row["decision"],
        "confirmation": row["confirmation"],
        "approval": row["approval"],
        "outcome": outcome or None,
        "extracted": outcome.get("extracted", {}),
        "evidence": outcome.get("evidence", []),
        "error": {"code": row["error_code"], "message": row["error_message"]} if row["error_code"] else None,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "expires_at": iso(row["expires_at"]),
        "terminal": state in TERMINAL,
        "trace_id": row.get("trace_id"),
        "policy_version": row.get("policy_version"),
        "policy_rollout": row.get("policy_rollout"),
    }
