"""Read-only queries the API needs that the store does not offer in this exact form.

Kept here, against ``executor.store.tables``, so the API does not depend on
the store's helper names while they evolve.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from executor.states import RequestState
from executor.store import RequestRecord
from executor.store.tables import requests

__all__ = ["SORTS", "RequestFilter", "count_held", "list_requests", "search_requests"]

# Sort keys the request list accepts: a leading "-" is descending.
SORTS = {"created_at": requests.c.created_at, "updated_at": requests.c.updated_at, "action": requests.c.action,
         "state": requests.c.state, "requester": requests.c.requester, "expires_at": requests.c.expires_at}


def list_requests(engine: Any, *, states: Iterable[RequestState] | None = None, limit: int = 100,
                  requester: str | None = None, oldest_first: bool = False) -> list[RequestRecord]:
    """Newest first (or oldest first), optionally only some states or one requester's."""
    order = (requests.c.created_at.asc(), requests.c.id.asc()) if oldest_first else (
        requests.c.created_at.desc(), requests.c.id.desc())
    query = select(requests).order_by(*order).limit(limit)
    if states is not None:
        query = query.where(requests.c.state.in_([RequestState(s).value for s in states]))
    if requester is not None:
        query = query.where(requests.c.requester == requester)
    with engine.connect() as conn:
        return [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]


@dataclass(frozen=True)
class RequestFilter:
    """What the request list may be narrowed by; every field is optional and they combine with AND.

    ``q`` matches (case-insensitively, as a substring) the id, action,
    requester, idempotency key, the context (customer, conversation, ...) and
    the parameters *as recorded*: PII ones are HMAC'd and secret ones masked,
    so a search never finds a value the viewer could not see.
    """

    q: str | None = None
    states: tuple[RequestState, ...] = ()
    classes: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    owner_actions: tuple[str, ...] | None = None  # the actions of the owner asked for (None: no owner filter)
    requester: str | None = None
    since: float | None = None
    until: float | None = None


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(f: RequestFilter) -> list[ColumnElement[bool]]:
    c = requests.c
    clauses: list[ColumnElement[bool]] = []
    if f.q:
        pattern = _like(f.q)
        fields = [c.id, c.action, c.requester, c.idempotency_key, cast(c.context, String), cast(c.params, String)]
        clauses.append(or_(*(func.lower(field).like(pattern, escape="\\") for field in fields)))
    if f.states:
        clauses.append(c.state.in_([s.value for s in f.states]))
    if f.classes:
        clauses.append(c.action_class.in_(list(f.classes)))
    if f.actions:
        clauses.append(c.action.in_(list(f.actions)))
    if f.targets:
        clauses.append(c.target.in_(list(f.targets)))
    if f.owner_actions is not None:
        clauses.append(c.action.in_(list(f.owner_actions)))
    if f.requester is not None:
        clauses.append(c.requester == f.requester)
    if f.since is not None:
        clauses.append(c.created_at >= f.since)
    if f.until is not None:
        clauses.append(c.created_at < f.until)
    return clauses


def search_requests(engine: Any, f: RequestFilter, *, sort: str = "-created_at", limit: int = 50,
                    offset: int = 0) -> tuple[list[RequestRecord], int]:
    """One page of the requests matching ``f`` in ``sort`` order, and how many match in all."""
    column = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    order = [column.desc(), requests.c.id.desc()] if descending else [column.asc(), requests.c.id.asc()]
    where = _where(f)
    query = select(requests).order_by(*order).limit(limit).offset(offset)
    total = select(func.count()).select_from(requests)
    if where:
        query = query.where(and_(*where))
        total = total.where(and_(*where))
    with engine.connect() as conn:
        rows = [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]
        count = int(conn.execute(total).scalar_one())
    return rows, count


def count_held(engine: Any, scope: str, catalog: Any) -> dict[str, int]:
    """Requests in ``scope`` that a kill switch holds back: queued (waiting) and executing (stopped before commit)."""
    c = requests.c
    kind, _, name = scope.partition(":")
    query = select(c.state, func.count()).where(
        c.state.in_([RequestState.QUEUED.value, RequestState.EXECUTING.value])).group_by(c.state)
    if kind == "target":
        query = query.where(c.target == name)
    elif kind == "action":
        query = query.where(c.action == name)
    elif kind == "class":
        query = query.where(c.action_class == name)
    elif kind != "global":
        return {"queued": 0, "executing": 0}
    with engine.connect() as conn:
        counts = {str(state): int(n) for state, n in conn.execute(query)}
    return {"queued": counts.get("queued", 0), "executing": counts.get("executing", 0)}
