"""The Steward service: one facade over store, catalog, policy and audit.

The CLI, the HTTP API, the worker and the demo all go through this class, so
every path applies the same gates, writes the same audit events and enforces
the same rules (approver != requester, confirmations bound to parameters).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine

from action_classes import Action, Catalog
from audit import (
    AuditLog,
    Checkpoint,
    Checkpointer,
    CheckpointPolicy,
    FileEvidenceStore,
    HmacFields,
    Redactor,
    SecretScrub,
    VerifyReport,
    keygen,
    load_or_create_pii_key,
    load_signer,
    open_engine,
    witness_notes,
)
from executor.audit_keys import VerifierKey, find_verifier, judge
from executor.clock import Clock, SystemClock
from executor.config import Settings
from executor.errors import ConfirmationMismatch, Expired, InvalidState, RequestError, SelfApproval
from executor.handoff import handoff_packet
from executor.identity import check_operator, same_identity
from executor.inputs import check_text
from executor.intake import Submission, default_gates, params_hash
from executor.intake_record import Versions, submission_record
from executor.integrity import load_catalog_for, load_policy_for
from executor.killswitch import check_known_scope, parse_scope
from executor.metrics import Metrics
from executor.models import Confirmation, SubmitRequest
from executor.redaction import Redaction
from executor.reload import Reloader
from executor.rollback import SettledEcho
from executor.rollout import Policies
from executor.states import RequestState
from executor.store import KillSwitch, RequestRecord, Store
from executor.store.migrate import ensure_schema
from executor.tracing import span
from executor.usage import BudgetUsage
from executor.witness import Witnesses
from policies import Policy

__all__ = ["Steward"]

log = structlog.get_logger("steward.service")

S = RequestState


def _same_identity(a: str, b: str) -> bool:
    return same_identity(a, b)


class _TooLate(Exception):
    """Raised inside a locked transition: the request's confirmation or approval time ran out."""


class Steward:
    """Everything a Steward process does with requests."""

    witnesses: Witnesses | None = None  # set with the checkpointer when a witness is configured

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        catalog: Catalog | None = None,
        policy: Policy | None = None,
        loaded_by: str = "system",
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        # Catalog and policy first: a refused file (pin, end marker, load error) touches no database.
        self.catalog = catalog or load_catalog_for(settings)
        self.policy = policy or load_policy_for(settings, self.catalog)
        self.engine = engine or open_engine(settings.db_url)
        try:
            ensure_schema(self.engine)  # a brand-new database is initialised; anything else must be current
        except Exception:
            if engine is None:
                self.engine.dispose()
            raise
        self.pii_key = load_or_create_pii_key(settings.key_dir / "pii.key")
        pii_fields = set(settings.pii_fields) | {
            n for a in self.catalog.actions.values() for n in a.sensitive_params()[1]
        }
        # Defence in depth: the executor redacts what it records; the log scrubs and HMACs again.
        self._pii = HmacFields(pii_fields, self.pii_key)
        self.audit = AuditLog(self.engine, redactor=Redactor([SecretScrub(), self._pii]))
        self.store = Store(self.engine, self.audit, self.clock)
        # Metrics of this process: the store reports what it commits; the database is read at scrape time.
        self.metrics = Metrics()
        self.store.observers.append(self.metrics.store_observer())
        self.store.observers.append(SettledEcho(self))  # a compensation's end shows on its original's timeline
        self.metrics.watch_database(self)
        self.evidence = FileEvidenceStore(settings.evidence_dir)
        self.usage = BudgetUsage(self.store, self.catalog)
        self._checkpointer: Checkpointer | None = None
        self.store.after_terminal = self._after_terminal
        self.loaded_by = loaded_by
        self.policies = Policies(self.policy)
        # A promoted policy (stored in the database) replaces the file; a candidate joins it. Audits versions.
        self.reloader = Reloader(self, catalog_file=catalog is None, policy_file=policy is None)
        try:
            self.reloader.check(strict=True)
        except Exception:
            if engine is None:
                self.engine.dispose()
            raise

    # -- checkpoints -----------------------------------------------------------

    @property
    def checkpointer(self) -> Checkpointer:
        """Signs checkpoints with the key in ``key_dir`` (created on first use); witnesses get each one."""
        if self._checkpointer is None:
            key = self.settings.key_dir / "audit.key"
            signer = load_signer(key) if key.exists() else keygen(self.settings.key_dir)
            if self.settings.witness_dir is not None or self.settings.witness_url is not None:
                self.witnesses = Witnesses(self.settings.witness_dir, self.settings.witness_url)
            self._checkpointer = Checkpointer(
                self.audit,
                signer,
                out_dir=self.settings.checkpoint_dir,
                policy=CheckpointPolicy(every_entries=1000, every_seconds=60),
                on_signed=self.witnesses,
            )
        return self._checkpointer

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint of the log as it is now (written to the table and checkpoint_dir)."""
        return self.checkpointer.checkpoint()

    def verifier_key(self) -> VerifierKey:
        """The key that verifies checkpoints: STEWARD_VERIFIER_KEY, else keys/audit.pub."""
        return find_verifier(self.settings)

    def verify_audit(self, key: VerifierKey | None = None) -> VerifyReport:
        """Verify the live log: chain, tree, signed checkpoints (with ``key``, default ``verifier_key()``),
        evidence files, and every checkpoint in the witness folder when one is configured.

        Fails closed: signed checkpoints that no key could check make the report not ok.
        """
        key = key or self.verifier_key()
        trusted: list[str | tuple[str, str]] = []
        folder = self.settings.witness_dir
        if folder is not None and folder.is_dir() and any(folder.glob("*.checkpoint")):
            trusted += witness_notes(folder)
        report = self.audit.verify(self.evidence, verifier=key.verifier, trusted=trusted)
        return judge(report, key)

    def _after_terminal(self, rec: RequestRecord) -> None:
        """A request reached a terminal state: sign a checkpoint covering it."""
        try:
            self.checkpoint()
        except Exception as exc:  # the state is committed; a late checkpoint is retried by the worker
            log.warning("checkpoint.failed", request_id=rec.id, error=str(exc)[:300])

    # -- change control ------------------------------------------------------

    def install(self, catalog: Catalog, policies: Policies) -> bool:
        """Make ``catalog`` and ``policies`` the ones that decide (``executor.reload``); audit new versions.

        True when a version changed. Requests already past intake keep the decision they got.
        """
        changed = (catalog.version != self.catalog.version or policies.active.version != self.policy.version
                   or policies != self.policies)
        if catalog is not self.catalog:
            self.usage = BudgetUsage(self.store, catalog)
            # The log HMACs the new catalog's PII parameters too; a field is never dropped from the set.
            self._pii.fields = self._pii.fields | {
                n.lower() for a in catalog.actions.values() for n in a.sensitive_params()[1]
            }
        self.catalog, self.policy, self.policies = catalog, policies.active, policies
        self._record_versions(self.loaded_by)
        if changed:
            cand = policies.candidate
            log.info("policy.installed", catalog=catalog.version[:12], policy=policies.active.version[:12],
                     candidate=cand.version[:12] if cand else None, mode=policies.mode, percent=policies.percent)
        return changed

    def _record_versions(self, by: str) -> None:
        """Write catalog/policy load events when their content hash changed."""
        last: dict[str, str] = {}
        for entry in self.audit.entries(types=["catalog.loaded", "policy.loaded"]):
            last[entry.type] = str(entry.payload.get("version"))
        events = []
        if last.get("catalog.loaded") != self.catalog.version:
            events.append(
                (
                    "catalog.loaded",
                    {
                        "version": self.catalog.version,
                        "by": by,
                        "files": [Path(f).name for f in self.catalog.files],
                        "owner": ", ".join(self.catalog.owners()) or None,
                        "summary": f"{len(self.catalog.targets)} targets, {len(self.catalog.actions)} actions: "
                        + ", ".join(sorted(self.catalog.actions)),
                        "previous": last.get("catalog.loaded"),
                    },
                )
            )
        if last.get("policy.loaded") != self.policy.version:
            events.append(
                (
                    "policy.loaded",
                    {
                        "version": self.policy.version,
                        "by": by,
                        "owner": getattr(self.policy, "owner", None),
                        "summary": f"{len(self.policy.rules)} rules, {len(self.policy.limits)} limits: "
                        + ", ".join(r.id for r in (*self.policy.rules, *self.policy.limits)),
                        "previous": last.get("policy.loaded"),
                    },
                )
            )
        if events:
            self.store.record(None, events, f"system:{by}")

    # -- helpers ----------------------------------------------------------------

    def redaction(self, action: Action | None) -> Redaction:
        """The redaction for an action's parameters."""
        secret, pii = action.sensitive_params() if action else (set(), set())
        return Redaction(secret, pii, self.pii_key)

    def action_of(self, rec: RequestRecord) -> Action:
        return self.catalog.action(rec.action)

    def get(self, request_id: str) -> RequestRecord:
        return self.store.get(request_id)

    def handoff(self, rec: RequestRecord) -> dict[str, Any]:
        """The packet an approver (or a human team, when forbidden) reads."""
        action = self.catalog.actions.get(rec.action)
        shown = Redaction(action.sensitive_params()[0] if action else set(), (), self.pii_key).params(rec.params)
        packet = handoff_packet(
            rec.model_copy(update={"params": shown}), description=action.description if action else "",
            owner=self.catalog.owner_of(rec.action), reviewers=self.catalog.reviewers_of(rec.action),
        )
        return packet

    # -- intake -------------------------------------------------------------------

    def submit(self, body: SubmitRequest, requester: str) -> tuple[RequestRecord, bool]:
        """Validate, decide and store a request; (record, created).

        The same idempotency key with the same parameters returns the original
        request (created=False); with other parameters it is an IdempotencyConflict.
        Runs in the ``steward.intake`` span, a child of the current one (the API's
        span continuing the caller's ``traceparent``), or of a new trace.
        """
        with span("steward.intake", attributes={"steward.action": body.action[:64]}) as current:
            rec, created = self._submit(body, requester)
            current.set_attribute("steward.request_id", rec.id)
            current.set_attribute("steward.state", rec.state.value)
            return rec, created

    def _submit(self, body: SubmitRequest, requester: str) -> tuple[RequestRecord, bool]:
        requester = requester.strip()
        if not requester or len(requester) > 200:
            raise RequestError("requester must be 1 to 200 characters")
        requester = check_operator(requester, "requester")
        phash = params_hash(body.params)
        if body.idempotency_key:
            existing = self._idempotent(requester, body, phash)
            if existing is not None:
                return existing, False
        self.reloader.maybe()  # a new catalog or policy version decides within seconds
        try:
            if self.policies.limits_for(body.action):
                # Budgets: read usage and insert in one locked transaction (atomic across processes).
                with self.store.budget_lock() as conn:
                    sub = self._gate(
                        body, requester, phash, self.usage.within(conn), lambda: self.store.switches_in(conn)
                    )
                    rec = self._store_submission(sub, conn)
                return self.store.finish_create(rec), True
            return self._store_submission(
                self._gate(body, requester, phash, self.usage, self.store.kill_switches)
            ), True
        except Exception as exc:
            from sqlalchemy.exc import IntegrityError

            if isinstance(exc, IntegrityError) and body.idempotency_key:
                existing = self._idempotent(requester, body, phash)
                if existing is not None:
                    return existing, False
            raise

    def _gate(self, body: SubmitRequest, requester: str, phash: str, usage: Any, switches: Any) -> Submission:
        """Run the intake gates in order; stop at the first rejection."""
        sub = Submission(body=body, requester=requester, params_hash=phash)
        for gate in default_gates(self.catalog, self.policies, usage, switches):
            gate(sub)
            if sub.rejection:
                break
        return sub

    def _idempotent(self, requester: str, body: SubmitRequest, phash: str) -> RequestRecord | None:
        from executor.errors import IdempotencyConflict

        assert body.idempotency_key
        existing = self.store.find_idempotent(requester, body.idempotency_key)
        if existing is None:
            return None
        if existing.params_hash != phash or existing.action != body.action:
            raise IdempotencyConflict(
                f"idempotency key {body.idempotency_key!r} was used for request {existing.id} with other parameters",
                details={"request_id": existing.id},
            )
        return existing

    def _store_submission(self, sub: Submission, conn: Any = None) -> RequestRecord:
        conf = sub.body.confirmation
        cand = self.policies.candidate_row
        values, events = submission_record(
            sub, redaction=self.redaction(sub.action), now=self.clock.now(),
            versions=Versions(self.catalog.version, self.policy.version, cand.sha256 if cand is not None else None),
            confirmation=self._confirmation_record(conf) if conf is not None and not sub.rejection else None,
        )
        return self.store.create(values, events, f"agent:{sub.requester}", conn)

    def _confirmation_record(self, conf: Confirmation) -> dict[str, Any]:
        from executor.clock import iso

        at = conf.confirmed_at.timestamp() if conf.confirmed_at else self.clock.now()
        if at > self.clock.now() + 120:
            raise RequestError("confirmed_at is in the future")
        return {
            "channel": conf.channel,
            "quote": conf.quote,
            "reference": conf.reference,
            "confirmed_at": iso(at),
            "params_hash": conf.params_hash,
        }

    # -- people's decisions -----------------------------------------------------------

    def _expire_late(self, request_id: str, waiting: RequestState, what: str) -> Expired:
        """Expire a request whose time ran out before ``what`` arrived; the error to raise."""
        with contextlib.suppress(InvalidState):  # the sweep or another caller expired it meanwhile
            self.store.transition(
                request_id, S.EXPIRED, actor="system:expiry", expect={waiting},
                reason=f"no {what} in time (it arrived after the request expired)",
            )
        return Expired(
            f"request {request_id} expired before the {what} arrived; it is now expired (submit a new request)",
            details={"state": S.EXPIRED.value},
        )

    def _check_not_expired(self, rec: RequestRecord) -> None:
        # The sweep may not have run (--no-workers, a stopped worker): the deadline holds at decision time.
        if rec.expires_at is not None and rec.expires_at <= self.clock.now():
            raise _TooLate()

    def confirm(self, request_id: str, confirmation: Confirmation, actor: str) -> RequestRecord:
        """Attach the customer's confirmation; it must bind the request's parameters and arrive in time."""
        check_text(actor, "actor")
        conf = self._confirmation_record(confirmation)

        def check(rec: RequestRecord) -> None:
            if rec.state == S.AWAITING_CONFIRMATION:
                self._check_not_expired(rec)
            if rec.params_hash != confirmation.params_hash:
                raise ConfirmationMismatch(
                    "the confirmation was given for other parameters (params_hash differs)",
                    details={"expected": rec.params_hash, "got": confirmation.params_hash},
                )

        try:
            return self.store.transition(
                request_id,
                S.QUEUED,
                actor=actor,
                reason="customer confirmed",
                expect={S.AWAITING_CONFIRMATION},
                updates={"confirmation": conf, "expires_at": None},
                events=[("confirmation.attached", conf)],
                check=check,
            )
        except _TooLate:
            raise self._expire_late(request_id, S.AWAITING_CONFIRMATION, "confirmation") from None

    def approve(self, request_id: str, operator: str, note: str = "") -> RequestRecord:
        """An operator approves; never the requester."""
        return self._decide(request_id, operator, note, approve=True)

    def reject(self, request_id: str, operator: str, reason: str) -> RequestRecord:
        """An operator denies the request; it never runs."""
        if not reason.strip():
            raise RequestError("a rejection needs a reason")
        return self._decide(request_id, operator, reason, approve=False)

    def _decide(self, request_id: str, operator: str, note: str, *, approve: bool) -> RequestRecord:
        from executor.clock import iso

        if not operator.strip():
            raise RequestError("an operator name is required")
        operator = check_operator(operator)
        check_text(note, "the note" if approve else "the reason")

        def check(rec: RequestRecord) -> None:
            if rec.state == S.AWAITING_APPROVAL:
                self._check_not_expired(rec)
            if _same_identity(rec.requester, operator):
                raise SelfApproval(f"{operator} submitted request {request_id} and cannot decide on it")

        approval = {
            "operator": operator,
            "decision": "approved" if approve else "denied",
            "note": note[:2000],
            "at": iso(self.clock.now()),
        }
        event = (
            "approval.granted" if approve else "approval.denied",
            {"operator": operator, "note": note[:2000], "requester": None},
        )
        target = S.QUEUED if approve else S.DENIED
        try:
            return self.store.transition(
                request_id,
                target,
                actor=f"operator:{operator}",
                reason=f"{'approved' if approve else 'denied'} by {operator}" + (f": {note[:200]}" if note else ""),
                expect={S.AWAITING_APPROVAL},
                updates={"approval": approval, "expires_at": None},
                events=[(event[0], {**event[1], "requester": self.store.get(request_id).requester})],
                check=check,
            )
        except _TooLate:
            raise self._expire_late(request_id, S.AWAITING_APPROVAL, "approval") from None

    def cancel(self, request_id: str, actor: str, reason: str = "") -> RequestRecord:
        """Cancel before execution only."""
        check_text(actor, "actor")
        check_text(reason, "the reason")
        try:
            return self.store.transition(
                request_id,
                S.CANCELLED,
                actor=actor,
                reason=reason or "cancelled",
                expect={S.AWAITING_APPROVAL, S.AWAITING_CONFIRMATION, S.QUEUED},
            )
        except InvalidState as exc:
            raise InvalidState(f"{exc.message} (cancel works only before execution)", details=exc.details) from exc

    def expire_due(self) -> list[RequestRecord]:
        """Move requests whose confirmation or approval time ran out to expired."""
        done = []
        for rec in self.store.due_expiry():
            try:
                done.append(
                    self.store.transition(
                        rec.id,
                        S.EXPIRED,
                        actor="system:expiry",
                        reason=f"no {'approval' if rec.state == S.AWAITING_APPROVAL else 'confirmation'} in time",
                        expect={S.AWAITING_APPROVAL, S.AWAITING_CONFIRMATION},
                    )
                )
            except InvalidState:
                continue  # decided meanwhile
        return done

    # -- kill switch --------------------------------------------------------------------

    def kill(self, scope: str, operator: str, reason: str) -> KillSwitch:
        """Engage a halt: immediate, durable, audited; a scope naming no known action or target is refused."""
        if not operator.strip() or not reason.strip():
            raise RequestError("engaging the kill switch needs an operator and a reason")
        operator, reason = check_operator(operator), check_text(reason, "the reason").strip()
        scope = parse_scope(check_text(scope, "the scope"))
        check_known_scope(scope, self.catalog)
        return self.store.engage(scope, operator, reason)

    def release(self, scope: str, operator: str, reason: str) -> bool:
        """Release a halt explicitly; False if it was not engaged (any engaged scope, known or not)."""
        if not operator.strip() or not reason.strip():
            raise RequestError("releasing the kill switch needs an operator and a reason")
        operator, reason = check_operator(operator), check_text(reason, "the reason").strip()
        return self.store.release(parse_scope(check_text(scope, "the scope")), operator, reason)

    def __enter__(self) -> Steward:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.witnesses is not None:
            self.witnesses.close()
        self.audit.close()
        self.engine.dispose()
