"""Request states and the transitions SPEC section 4 allows."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE", "TERMINAL", "TRANSITIONS", "RequestState", "can_move"]


class RequestState(StrEnum):
    """Where a request is in its lifecycle."""

    RECEIVED = "received"
    REJECTED = "rejected"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"
    UNVERIFIED = "unverified"
    IN_DOUBT = "in_doubt"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    DENIED = "denied"


S = RequestState
TERMINAL = frozenset(
    {
        S.REJECTED,
        S.SUCCEEDED,
        S.FAILED,
        S.ABORTED,
        S.UNVERIFIED,
        S.EXPIRED,
        S.CANCELLED,
        S.DENIED,
    }
)
ACTIVE = frozenset(set(S) - TERMINAL)

TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.RECEIVED: frozenset({S.REJECTED, S.AWAITING_CONFIRMATION, S.AWAITING_APPROVAL, S.QUEUED}),
    S.AWAITING_CONFIRMATION: frozenset({S.QUEUED, S.AWAITING_APPROVAL, S.EXPIRED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.QUEUED, S.DENIED, S.EXPIRED, S.CANCELLED}),
    S.QUEUED: frozenset({S.EXECUTING, S.CANCELLED}),
    # executing -> queued: a lease expired before the commit step; the request runs again.
    S.EXECUTING: frozenset({S.SUCCEEDED, S.FAILED, S.ABORTED, S.UNVERIFIED, S.IN_DOUBT, S.QUEUED}),
    # in_doubt is settled by a verify-only run, never by committing again.
    S.IN_DOUBT: frozenset({S.SUCCEEDED, S.FAILED, S.UNVERIFIED}),
}


def can_move(src: RequestState, dst: RequestState) -> bool:
    """True when the lifecycle allows ``src -> dst``; terminal states never move."""
    return dst in TRANSITIONS.get(src, frozenset())
