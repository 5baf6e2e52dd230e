"""Read-only queries the API needs that the store does not offer in this exact form.

Kept here, against ``executor.store.tables``, so the API does not depend on
the store's helper names while they evolve.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from executor.states import RequestState
from executor.store import RequestRecord
from executor.store.tables import requests

__all__ = ["list_requests"]


def list_requests(engine: Any, *, states: Iterable[RequestState] | None = None, limit: int = 100,
                  requester: str | None = None) -> list[RequestRecord]:
    """Newest first, optionally only some states or one requester's."""
    query = select(requests).order_by(requests.c.created_at.desc(), requests.c.id.desc()).limit(limit)
    if states is not None:
        query = query.where(requests.c.state.in_([RequestState(s).value for s in states]))
    if requester is not None:
        query = query.where(requests.c.requester == requester)
    with engine.connect() as conn:
        return [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]
