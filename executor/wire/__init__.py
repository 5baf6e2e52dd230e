"""The HTTP API's JSON bodies as pydantic models, shared by the server and the Python client.

Importing this package needs only pydantic (no FastAPI, SQLAlchemy or
Playwright), so a light client can use the models alone::

    from executor.wire import ActionRequestView
    view = ActionRequestView.model_validate(httpx.get(url, headers=auth).json())

Reading is tolerant: keys a newer server adds are ignored. The server builds
what it sends with ``exact()``, which refuses keys a model does not declare,
so a field can never be dropped from a response without a failing test.
The document generated from these models is ``docs/openapi.json``.
"""

from __future__ import annotations

from executor.wire._base import EXACT, WireModel, exact
from executor.wire.actions import (
    ActionClassName,
    ActionList,
    ActionRequest,
    ActionRequestView,
    ApprovalRecord,
    AuditRange,
    ConfirmationRecord,
    EvidenceRef,
    HandoffAction,
    HandoffPacket,
    HandoffReason,
    LimitCheck,
    Outcome,
    PolicyDecision,
    RequestErrorInfo,
    RuleHit,
    SubmitResult,
)
from executor.wire.audit import (
    AffectedAction,
    AffectedList,
    AuditEvent,
    AuditEventPage,
    CheckpointInfo,
    InclusionProof,
    ProofResult,
    RequestTimeline,
    TimelineEntry,
    VerifierInfo,
    VerifyResult,
)
from executor.wire.envelope import ErrorEnvelope, ErrorInfo, ValidationIssue
from executor.wire.ops import (
    Approval,
    ApprovalList,
    Catalog,
    CatalogAction,
    HeldKillSwitch,
    Identity,
    KillSwitch,
    KillSwitchList,
    KillSwitchRelease,
    OpsNow,
    OpsOverview,
)

__all__ = [
    "EXACT",
    "ActionClassName",
    "ActionList",
    "ActionRequest",
    "ActionRequestView",
    "AffectedAction",
    "AffectedList",
    "Approval",
    "ApprovalList",
    "ApprovalRecord",
    "AuditEvent",
    "AuditEventPage",
    "AuditRange",
    "Catalog",
    "CatalogAction",
    "CheckpointInfo",
    "ConfirmationRecord",
    "ErrorEnvelope",
    "ErrorInfo",
    "EvidenceRef",
    "HandoffAction",
    "HandoffPacket",
    "HandoffReason",
    "HeldKillSwitch",
    "Identity",
    "InclusionProof",
    "KillSwitch",
    "KillSwitchList",
    "KillSwitchRelease",
    "LimitCheck",
    "OpsNow",
    "OpsOverview",
    "Outcome",
    "PolicyDecision",
    "ProofResult",
    "RequestErrorInfo",
    "RequestTimeline",
    "RuleHit",
    "SubmitResult",
    "TimelineEntry",
    "ValidationIssue",
    "VerifierInfo",
    "VerifyResult",
    "WireModel",
    "exact",
]
