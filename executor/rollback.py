"""Rollback: undo the requests that succeeded in a window, each under policy, each at most once.

``plan_rollback`` reads the window: every request that succeeded with its
commit started in ``[since, until)`` (read-only requests changed nothing and
compensations are never compensated in turn). For each, the catalog's
``compensate`` says what undoes it; the plan lists it as

- ``compensate``: the inverse and its parameters, filled from the original's
  parameters and extracted values;
- ``no_inverse`` / ``cannot_fill``: for a person, with the original's
  evidence; nothing runs;
- ``already_compensated``: a compensation exists and has not ended without
  changing anything (idempotency by original id: never twice).

``rollback`` (not a dry run) records the batch (an audit event with who, why,
the window and the plan's hash), claims each original in
``steward_compensations`` (its primary key is the original's id), and submits
the compensating request as the operator: intake, policy (the default
``rollbacks-approved`` rule sends it to ``human_approved``), kill switch and
budgets apply like to any request. ``approve_batch`` is the one decision that
approves every request of the batch, by an operator who is neither the
rollback's requester nor an original requester; workers then run them with
the usual guarantees and verification.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from action_classes import TemplateError, render_compensation, request_ref
from audit import canonical_json
from executor.clock import iso
from executor.errors import NotFound, RequestError, SelfApproval
from executor.identity import check_operator, same_identity
from executor.inputs import check_text
from executor.intake import params_hash
from executor.models import RequestContext, SubmitRequest
from executor.redaction import Redaction
from executor.states import RequestState
from executor.store import RequestRecord
from executor.store.tables import compensations, requests, rollback_batches
from executor.wire.rollback import RollbackBatchDecision, RollbackItem, RollbackPlan

__all__ = [
    "ENDED_WITHOUT_CHANGE", "SettledEcho", "Window", "approve_batch", "batch_view", "compensation_links",
    "plan_rollback", "rollback",
]

S = RequestState
# A compensation in one of these states changed nothing: a later rollback may try the original again.
ENDED_WITHOUT_CHANGE = frozenset({S.REJECTED, S.DENIED, S.EXPIRED, S.CANCELLED, S.FAILED, S.ABORTED})
_MAX_ITEMS = 5000


@dataclass(frozen=True)
class Window:
    """Which succeeded requests a rollback looks at: commit started in ``[since, until)``, optional filters."""

    since: float
    until: float
    action: str | None = None
    target: str | None = None
    requester: str | None = None

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise RequestError("the window is empty: until must be after since")

    def filters(self) -> dict[str, str]:
        """The filters that are set."""
        named = {"action": self.action, "target": self.target, "requester": self.requester}
        return {k: v for k, v in named.items() if v}


def _originals(conn: Connection, window: Window) -> list[RequestRecord]:
    query = (
        select(requests)
        .where(
            requests.c.state == S.SUCCEEDED.value,
            requests.c.commit_started_at.is_not(None),
            requests.c.commit_started_at >= window.since,
            requests.c.commit_started_at < window.until,
            requests.c.id.not_in(select(compensations.c.compensation_id).where(
                compensations.c.compensation_id.is_not(None))),
        )
        .order_by(requests.c.commit_started_at, requests.c.id)
        .limit(_MAX_ITEMS + 1)
    )
    for column, value in (("action", window.action), ("target", window.target), ("requester", window.requester)):
        if value:
            query = query.where(requests.c[column] == value)
    found = [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]
    if len(found) > _MAX_ITEMS:
        raise RequestError(f"more than {_MAX_ITEMS} requests in the window: narrow it (time, action or target)")
    return found


def _claims(conn: Connection, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """original id -> (compensation id, its state) for originals a rollback already claimed."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(compensations.c.original_id, compensations.c.compensation_id, requests.c.state)
            .select_from(compensations.outerjoin(requests, requests.c.id == compensations.c.compensation_id))
            .where(compensations.c.original_id.in_(ids[start : start + 500]))
        ).all()
        out.update({r[0]: (r[1], r[2]) for r in rows})
    return out


def _evidence(rec: RequestRecord) -> list[dict[str, Any]]:
    items = (rec.outcome or {}).get("evidence") or []
    return [{k: v for k, v in item.items() if k != "path"} for item in items if isinstance(item, dict)]


def _item(steward: Any, rec: RequestRecord, claim: tuple[str | None, str | None] | None) -> tuple[RollbackItem, Any]:
    """The plan's line for one original, and the inverse's full parameters (None when nothing runs)."""
    base: dict[str, Any] = {
        "original_id": rec.id, "action": rec.action, "target": rec.target, "requester": rec.requester,
        "committed_at": iso(rec.commit_started_at), "evidence": _evidence(rec),
    }
    if claim is not None and (claim[0] is None or claim[1] not in {s.value for s in ENDED_WITHOUT_CHANGE}):
        item = RollbackItem(**base, status="already_compensated", compensation_id=claim[0],
                            compensation_state=claim[1], note="a compensation exists already: never twice")
        return item, None
    action = steward.catalog.actions.get(rec.action)
    comp = action.compensate if action is not None else None
    if comp is None or comp.action is None:
        why = comp.none if comp is not None and comp.none else f"the catalog names no inverse for {rec.action}"
        return RollbackItem(**base, status="no_inverse", note=why), None
    inverse = steward.catalog.actions.get(comp.action)
    if inverse is None:
        return RollbackItem(**base, status="no_inverse", note=f"the inverse {comp.action} is not in the catalog"), None
    extracted = (rec.outcome or {}).get("extracted") or {}
    try:
        params = render_compensation(comp, inverse, rec.params or {}, extracted, rec.id, request_ref(rec.id))
    except TemplateError as exc:
        return RollbackItem(**base, status="cannot_fill", inverse=comp.action, note=str(exc)[:500]), None
    shown = Redaction(inverse.sensitive_params()[0], (), steward.pii_key).params(params)
    return RollbackItem(**base, status="compensate", inverse=comp.action, inverse_params=shown), params


def _plan_hash(window: Window, items: list[RollbackItem], full: dict[str, Any]) -> str:
    body = {
        "since": iso(window.since), "until": iso(window.until), "filters": window.filters(),
        "items": [
            {"original_id": i.original_id, "status": i.status, "inverse": i.inverse,
             "params_hash": params_hash(full[i.original_id]) if i.original_id in full else None}
            for i in items
        ],
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _counts(items: list[RollbackItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return counts


def _build(steward: Any, window: Window) -> tuple[list[RollbackItem], dict[str, Any]]:
    with steward.engine.connect() as conn:
        originals = _originals(conn, window)
        claims = _claims(conn, [r.id for r in originals])
    items: list[RollbackItem] = []
    full: dict[str, Any] = {}
    for rec in originals:
        item, params = _item(steward, rec, claims.get(rec.id))
        items.append(item)
        if params is not None:
            full[rec.id] = params
    return items, full


def plan_rollback(steward: Any, window: Window, requester: str, reason: str) -> RollbackPlan:
    """What a rollback of ``window`` would do; reads only, changes nothing (the dry run)."""
    requester, reason = _who_why(requester, reason)
    items, full = _build(steward, window)
    return _plan(window, None, requester, reason, items, _plan_hash(window, items, full))


def _plan(window: Window, batch_id: str | None, requester: str, reason: str, items: list[RollbackItem],
          plan_hash: str) -> RollbackPlan:
    return RollbackPlan(
        batch_id=batch_id, dry_run=batch_id is None, requester=requester, reason=reason,
        since=iso(window.since) or "", until=iso(window.until) or "", filters=window.filters(),
        plan_hash=plan_hash, items=items, counts=_counts(items),
    )


def _who_why(requester: str, reason: str) -> tuple[str, str]:
    if not requester.strip() or not reason.strip():
        raise RequestError("a rollback needs an operator and a reason")
    return check_operator(requester), check_text(reason, "the reason").strip()[:2000]


def _claim(steward: Any, original_id: str, batch_id: str) -> bool:
    """Take ``original_id`` for this batch; False when another compensation holds it (never twice)."""
    now = steward.clock.now()

    def work(conn: Connection) -> bool:
        row = conn.execute(select(compensations).where(compensations.c.original_id == original_id)).mappings().first()
        if row is None:  # two batches inserting at once: the primary key lets one win
            conn.execute(insert(compensations).values(
                original_id=original_id, batch_id=batch_id, compensation_id=None, created_at=now))
            return True
        if row["compensation_id"] is None:
            return False  # another batch is submitting it right now
        state = conn.execute(select(requests.c.state).where(requests.c.id == row["compensation_id"])).scalar()
        if state not in {s.value for s in ENDED_WITHOUT_CHANGE}:
            return False
        taken = conn.execute(
            update(compensations)
            .where(compensations.c.original_id == original_id,
                   compensations.c.compensation_id == row["compensation_id"])
            .values(batch_id=batch_id, compensation_id=None, created_at=now)
        ).rowcount
        return bool(taken)

    try:
        with steward.engine.begin() as conn:
            return work(conn)
    except IntegrityError:
        return False


def _submit(steward: Any, item: RollbackItem, params: dict[str, Any], batch_id: str, requester: str,
            reason: str, original: RequestRecord) -> RollbackItem:
    context = RequestContext(
        customer_id=original.context.get("customer_id"),
        account_tier=original.context.get("account_tier"),
        customer_goal=f"Roll back {original.action} {original.id}: {reason}"[:1000],
        metadata={"rollback_of": original.id, "rollback_batch": batch_id},
    )
    body = SubmitRequest(action=item.inverse or "", params=params, idempotency_key=f"rollback:{batch_id}:{original.id}",
                         context=context)
    try:
        rec, _ = steward.submit(body, requester)
    except Exception:
        with steward.engine.begin() as conn:  # release the claim: nothing was submitted
            conn.execute(compensations.delete().where(compensations.c.original_id == original.id,
                                                      compensations.c.compensation_id.is_(None)))
        raise
    link = {"batch_id": batch_id, "original_id": original.id, "compensation_id": rec.id, "inverse": item.inverse}
    steward.store.record(rec.id, [("rollback.compensates", link)], f"operator:{requester}")
    steward.store.record(original.id, [("rollback.compensation", {**link, "state": rec.state.value})],
                         f"operator:{requester}",)
    with steward.engine.begin() as conn:
        conn.execute(update(compensations).where(compensations.c.original_id == original.id)
                     .values(compensation_id=rec.id))
    status = "rejected" if rec.state == S.REJECTED else "submitted"
    return item.model_copy(update={"status": status, "compensation_id": rec.id, "compensation_state": rec.state.value,
                                   "note": rec.error_message if status == "rejected" else None})


def rollback(steward: Any, window: Window, requester: str, reason: str, *, dry_run: bool = False) -> RollbackPlan:
    """Plan the window and, unless ``dry_run``, record the batch and submit every compensation in it."""
    plan = plan_rollback(steward, window, requester, reason)
    if dry_run:
        return plan
    requester, reason = plan.requester, plan.reason
    batch_id = f"rb_{int(time.time() * 1000):012x}{secrets.token_hex(4)}"
    items, full = _build(steward, window)  # the plan as the batch starts (the dry run may be minutes old)
    plan_hash = _plan_hash(window, items, full)
    now = steward.clock.now()
    event = {
        "batch_id": batch_id, "by": requester, "reason": reason, "since": iso(window.since),
        "until": iso(window.until), "filters": window.filters(), "plan_hash": plan_hash, "counts": _counts(items),
        "items": [{"original_id": i.original_id, "action": i.action, "status": i.status, "inverse": i.inverse}
                  for i in items],
    }

    def insert_batch(conn: Connection) -> None:
        conn.execute(insert(rollback_batches).values(
            id=batch_id, requester=requester, reason=reason, since=window.since, until=window.until,
            filters=window.filters(), plan_hash=plan_hash, created_at=now))

    steward.store.record_with(insert_batch, lambda _: [("rollback.requested", event)], f"operator:{requester}")
    with steward.engine.connect() as conn:
        originals = {r.id: r for r in _originals(conn, window)}
    done: list[RollbackItem] = []
    for item in items:
        original = originals.get(item.original_id)
        if item.status != "compensate" or original is None:
            done.append(item)
        elif not _claim(steward, item.original_id, batch_id):
            done.append(item.model_copy(update={"status": "already_compensated",
                                                "note": "another rollback claimed it: never twice"}))
        else:
            done.append(_submit(steward, item, full[item.original_id], batch_id, requester, reason, original))
    return _plan(window, batch_id, requester, reason, done, plan_hash)


def _batch(conn: Connection, batch_id: str) -> dict[str, Any]:
    row = conn.execute(select(rollback_batches).where(rollback_batches.c.id == batch_id)).mappings().first()
    if row is None:
        raise NotFound(f"no rollback batch {batch_id!r}")
    return dict(row)


def approve_batch(steward: Any, batch_id: str, operator: str, note: str = "") -> RollbackBatchDecision:
    """One decision approving every compensating request of the batch still awaiting approval.

    Refused before anything changes when the operator asked for the rollback or for any original request.
    """
    operator = check_operator(operator) if operator.strip() else ""
    if not operator:
        raise RequestError("an operator name is required")
    note = check_text(note, "the note")[:2000]
    with steward.engine.connect() as conn:
        batch = _batch(conn, batch_id)
        rows = conn.execute(
            select(compensations.c.original_id, compensations.c.compensation_id)
            .where(compensations.c.batch_id == batch_id, compensations.c.compensation_id.is_not(None))
            .order_by(compensations.c.original_id)
        ).all()
        originals = conn.execute(select(requests.c.requester).where(
            requests.c.id.in_([r[0] for r in rows]))).scalars().all()
    if same_identity(batch["requester"], operator) or any(same_identity(r, operator) for r in originals):
        raise SelfApproval(f"{operator} asked for this rollback or for a request it undoes, and cannot approve it")
    records = [steward.get(r[1]) for r in rows]
    waiting = [r.id for r in records if r.state == S.AWAITING_APPROVAL]
    skipped = {r.id: r.state.value for r in records if r.state != S.AWAITING_APPROVAL}
    if not waiting:
        return RollbackBatchDecision(batch_id=batch_id, operator=operator, approved=[], skipped=skipped)
    decision = {"batch_id": batch_id, "operator": operator, "note": note, "plan_hash": batch["plan_hash"],
                "requests": waiting, "requester": batch["requester"]}

    def mark(conn: Connection) -> None:
        conn.execute(update(rollback_batches).where(rollback_batches.c.id == batch_id)
                     .values(approved_by=operator, approved_at=steward.clock.now()))

    steward.store.record_with(mark, lambda _: [("rollback.approved", decision)], f"operator:{operator}")
    approved: list[str] = []
    for request_id in waiting:
        try:
            steward.approve(request_id, operator, f"rollback batch {batch_id}" + (f": {note}" if note else ""))
            approved.append(request_id)
        except RequestError as exc:  # expired or decided meanwhile: said, not hidden
            skipped[request_id] = exc.message
    return RollbackBatchDecision(batch_id=batch_id, operator=operator, approved=approved, skipped=skipped)


def compensation_links(steward: Any, request_id: str) -> dict[str, str | None]:
    """``{"compensated_by": id or None, "compensates": id or None}`` for one request."""
    with steward.engine.connect() as conn:
        by = conn.execute(select(compensations.c.compensation_id)
                          .where(compensations.c.original_id == request_id)).scalar()
        of = conn.execute(select(compensations.c.original_id)
                          .where(compensations.c.compensation_id == request_id)).scalar()
    return {"compensated_by": by, "compensates": of}


def batch_view(steward: Any, batch_id: str) -> RollbackPlan:
    """A batch as it stands now: its plan (from its ``rollback.requested`` event) and each compensation's state."""
    with steward.engine.connect() as conn:
        batch = _batch(conn, batch_id)
        mine = dict(conn.execute(
            select(compensations.c.original_id, compensations.c.compensation_id)
            .where(compensations.c.batch_id == batch_id)
        ).all())
    event = next((e for e in steward.audit.entries(types=["rollback.requested"])
                  if e.payload.get("batch_id") == batch_id), None)
    planned = event.payload.get("items", []) if event is not None else []
    items: list[RollbackItem] = []
    for entry in planned:
        original = steward.get(str(entry["original_id"]))
        base: dict[str, Any] = {
            "original_id": original.id, "action": original.action, "target": original.target,
            "requester": original.requester, "committed_at": iso(original.commit_started_at),
            "inverse": entry.get("inverse"), "evidence": _evidence(original),
        }
        comp_id = mine.get(original.id)
        if comp_id is not None:
            comp = steward.get(comp_id)
            status = "rejected" if comp.state == S.REJECTED else "submitted"
            items.append(RollbackItem(**base, status=status, compensation_id=comp.id,
                                      compensation_state=comp.state.value,
                                      note=comp.error_message if status == "rejected" else None))
        elif entry.get("status") == "compensate":
            items.append(RollbackItem(**base, status="already_compensated", note="another rollback claimed it"))
        else:
            items.append(RollbackItem(**base, status=entry.get("status", "no_inverse")))
    window = Window(batch["since"], batch["until"], **batch["filters"])
    plan = _plan(window, batch_id, batch["requester"], batch["reason"], items, batch["plan_hash"])
    return plan.model_copy(update={"approved_by": batch["approved_by"], "approved_at": iso(batch["approved_at"])})


class SettledEcho:
    """A Store observer: when a compensation ends, the original's timeline says how (``rollback.settled``).

    Only a request registered in ``steward_compensations`` counts; the ``rollback_of`` marker in a context
    is just a cheap filter (an agent can write it, and must not reach another request's timeline with it).
    """

    def __init__(self, steward: Any) -> None:
        self.steward = steward

    def appended(self, seconds: float) -> None:
        """Nothing to do per event."""

    def committed(self, rec: RequestRecord | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Echo a compensation's terminal state onto its original."""
        if rec is None or not rec.terminal or "rollback_of" not in (rec.context.get("metadata") or {}):
            return
        original = compensation_links(self.steward, rec.id)["compensates"]
        if original is None:
            return
        settled = {"compensation_id": rec.id, "state": rec.state.value, "action": rec.action}
        self.steward.store.record(original, [("rollback.settled", settled)], "system:rollback")
