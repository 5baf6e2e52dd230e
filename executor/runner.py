"""Run one request through the browser: preconditions, steps, commit, verification.

The commit step is the line everything is organised around. Before it, every
step boundary checks the kill switch and the lease, and transient faults are
retried from the first step. ``commit.started`` is written durably before the
commit step and ``commit.completed`` after it; from then on only verification
runs, in a fresh page, and it decides between succeeded and unverified.
An ``after_commit`` expect that fails on the page the commit left means the
UI answered with an error: if verification then does not find the change,
the request is ``failed`` (``commit_refused``), not ``unverified``.

``commit.started`` is only written while this worker still holds an unexpired
lease (``Store.mark_commit_started``), so a recovering worker that requeued
the request can never race a slow original into a second commit.
``settle`` is the verify-only run that recovery uses for ``in_doubt``
requests: it never performs the commit step (see ``executor.recovery``).
The ``crash_point`` calls are a test-only fault-injection hook. Every database
write of a run (step records, boundaries, the terminal state) goes through
its ``RunBook`` (``executor.run_book``).

Tracing: a run resumes the trace context stored on the request at intake
(``steward.execute``), with a span per browser step, one for the commit and
one for the verification; step durations also feed the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

from action_classes import ExpectSpec, Step, TemplateError, render_step, request_ref
from executor.browser.driver import ActionSession, BrowserDriver
from executor.browser.trace_scrub import Sensitive
from executor.errors import (
    ExecutionError,
    ExpectationFailed,
    FailClosed,
    Halted,
    LoginFailed,
    StewardError,
)
from executor.killswitch import halted_by
from executor.recovery import crash_point
from executor.redaction import page_text, scrub_text
from executor.retry import RetryPolicy
from executor.run_book import LeaseLost, Run, RunBook
from executor.run_evidence import RunEvidence
from executor.service import Steward
from executor.states import RequestState
from executor.store import RequestRecord
from executor.tracing import SpanKind, span

__all__ = ["LeaseLost", "Runner"]

log = structlog.get_logger("steward.runner")
S = RequestState
T = TypeVar("T")
_VERIFY_TRIES = 3


class Runner:
    """Executes claimed requests with one browser driver."""

    def __init__(self, steward: Steward, driver: BrowserDriver, worker_id: str, *, lease_s: float = 30.0) -> None:
        self.steward = steward
        self.store = steward.store
        self.driver = driver
        self.worker_id = worker_id
        self.actor = f"worker:{worker_id}"
        self.lease_s = lease_s
        self.book = RunBook(steward.store, worker_id, lease_s)
        self.inflight: dict[str, Run] = {}
        # Runs a kill switch interrupted that have not recorded ``aborted`` yet; their contexts close after.
        self._halting: set[str] = set()
        self._halts_recorded = asyncio.Event()
        self._halts_recorded.set()

    async def _interruptible(self, run: Run, where: str, work: Coroutine[Any, Any, T]) -> T:
        """Await pre-commit browser work that a kill switch may cut short, even mid-wait."""
        task = asyncio.ensure_future(work)
        run.step_task = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if run.halt is None or (current is not None and current.cancelling()):
                raise  # the worker itself is stopping
            if isinstance(run.halt, FailClosed):
                raise FailClosed(f"{run.halt.message} (interrupted mid-step at {where})") from None
            raise Halted(f"{run.halt.message} (interrupted mid-step)", step=where) from None
        finally:
            run.step_task = None

    async def on_kill_change(self) -> None:
        """A kill switch changed: interrupt every in-flight pre-commit step it now covers.

        An unreadable kill-switch state interrupts them all (fail closed). Requests
        past ``commit.started`` are never touched: verification finishes them.
        """
        try:
            switches = await asyncio.to_thread(self.store.kill_switches)
        except FailClosed as exc:
            for run in list(self.inflight.values()):
                self._interrupt(run, exc)
            return
        for run in list(self.inflight.values()):
            hit = halted_by(run.rec, switches)
            if hit is not None:
                self._interrupt(run, Halted(f"kill switch {hit.scope} engaged by {hit.operator}: {hit.reason}"))

    def _interrupt(self, run: Run, halt: Halted | FailClosed) -> None:
        if run.committed or run.step_task is None or run.step_task.done():
            return
        run.halt = halt
        if isinstance(halt, Halted):
            self._halting.add(run.rec.id)
            self._halts_recorded.clear()
        run.step_task.cancel()
        log.warning("request.interrupted", request_id=run.rec.id, why=halt.message[:200])

    def _timeout_ms(self, run: Run) -> int:
        """The step timeout, cut to what is left of the action's budget (at least 100 ms)."""
        left = int((run.deadline - time.monotonic()) * 1000)
        return max(100, min(run.action.step_timeout_ms, left))

    async def _step(self, run: Run, session: ActionSession, phase: str, index: int, step: Step) -> None:
        rendered = _render(step, run.values) if phase != "verify" else render_step(step, run.values)
        timeout = run.action.step_timeout_ms if phase == "verify" else self._timeout_ms(run)
        attributes: dict[str, str | int] = {"steward.phase": phase, "steward.index": index, "steward.kind": step.kind}
        with span(f"steward.step {phase}", attributes=attributes):
            started = time.perf_counter()
            if run.committed:
                value = await session.run(rendered, timeout_ms=timeout)
            else:
                where = f"{phase} {index}: {step.describe()}"
                value = await self._interruptible(run, where, session.run(rendered, timeout_ms=timeout))
            self.steward.metrics.observe_step(run.rec.action, phase, step.kind, time.perf_counter() - started)
        if step.extract is not None and step.extract.name:
            run.extracted[step.extract.name] = page_text(value)
        done = {"phase": phase, "index": index, "kind": step.kind, "description": step.describe()}
        run.pending.append(("step.completed", done))  # written by the next boundary, in its transaction

    # -- the run --------------------------------------------------------------------

    def _new_run(self, rec: RequestRecord) -> Run:
        action = self.steward.catalog.action(rec.action)
        target = self.steward.catalog.target_of(action)
        run = Run(
            rec,
            action,
            target,
            {"params": dict(rec.params or {}), "extracted": {}, "request": {"id": rec.id, "ref": request_ref(rec.id)}},
            deadline=time.monotonic() + action.timeout_s,
        )

        async def record(events: list[tuple[str, dict[str, Any]]]) -> None:
            await self.book.record(run, events)

        run.files = RunEvidence(self.steward.evidence, rec.id, record, run.evidence)
        secret_params, pii_params = action.sensitive_params()
        run.secrets = [str(rec.params[p]) for p in secret_params if rec.params and p in rec.params]
        run.pii_names = (pii_params | set(self.steward.settings.pii_fields)) & set(rec.params or {})
        run.pii = [str((rec.params or {})[p]) for p in sorted(run.pii_names)]
        return run

    def _session_options(self, run: Run) -> dict[str, Any]:
        """Trace only without secret steps; mask secret and PII fills; scrub secret and PII values from traces."""
        steps = run.action.preconditions + run.action.steps
        secret_steps = [s for s in steps if s.is_secret]
        pii_fills = [
            s
            for s in steps
            if s.fill is not None and not s.is_secret and any(f"{{params.{n}" in s.fill.value for n in run.pii_names)
        ]
        sensitive = Sensitive(tuple(run.secrets), tuple(run.pii))
        return {
            "trace": not secret_steps,
            "mask": secret_steps + pii_fills,
            "sensitive": sensitive,
            "spare": not run.action.read_only,  # verification's page, opened while the steps run
        }

    def _span(self, name: str, rec: RequestRecord) -> Any:
        """The request's run as a span of the trace its intake started."""
        attributes: dict[str, str | int] = {"steward.request_id": rec.id, "steward.action": rec.action,
                      "steward.class": rec.action_class or "", "steward.attempt": rec.attempts,
                      "steward.worker": self.worker_id}
        return span(name, traceparent=rec.traceparent, kind=SpanKind.CONSUMER, attributes=attributes)

    async def run(self, rec: RequestRecord) -> RequestRecord | None:
        """Execute a claimed request to a terminal state (None if the lease was lost)."""
        with self._span("steward.execute", rec) as current:
            result = await self._run_traced(rec)
            current.set_attribute("steward.state", result.state.value if result is not None else "lease_lost")
            return result

    async def _run_traced(self, rec: RequestRecord) -> RequestRecord | None:
        run = self._new_run(rec)
        log.info("request.executing", request_id=rec.id, action=rec.action, attempt=rec.attempts,
                 trace_id=rec.trace_id)
        self.inflight[rec.id] = run
        try:
            return await self._run(run)
        except LeaseLost:
            log.warning("lease.lost", request_id=rec.id)
            return None
        finally:
            self.inflight.pop(rec.id, None)
            self._halt_over(rec.id)

    def _halt_over(self, request_id: str) -> None:
        """``request_id`` no longer holds up the closing of other halted runs' contexts."""
        self._halting.discard(request_id)
        if not self._halting:
            self._halts_recorded.set()

    async def settle(self, rec: RequestRecord, extracted: dict[str, Any]) -> RequestRecord | None:
        """Verify-only run of an ``in_doubt`` request; None leaves it in_doubt for a later try."""
        with self._span("steward.settle", rec):
            return await self._settle(rec, extracted)

    async def _settle(self, rec: RequestRecord, extracted: dict[str, Any]) -> RequestRecord | None:
        run = self._new_run(rec)
        run.extracted.update(extracted)
        try:
            session = await self.driver.open_session(run.target, **self._session_options(run))
        except ExecutionError as exc:  # the target is down: verification cannot even start
            log.warning("settle.deferred", request_id=rec.id, error=exc.code)
            await self.book.record(run, [("verify.deferred", {"error": exc.code, "message": exc.message[:300]})])
            self.steward.metrics.verification(rec.action, "deferred")
            return None
        try:
            return await self._verify(run, session, None, settling=True)
        except Exception as exc:  # LeaseLost, or a fault: it stays in_doubt and a later sweep tries again
            if not isinstance(exc, LeaseLost):
                log.error("settle.fault", request_id=rec.id, error=f"{type(exc).__name__}: {exc}"[:300])
            await self._close_quietly(run, session, "settle interrupted")
            return None

    async def _run(self, run: Run) -> RequestRecord | None:
        policy = RetryPolicy.from_spec(run.action.retry)
        attempt = 0
        while True:
            attempt += 1
            session: ActionSession | None = None
            try:
                await self.book.guard(run, "open session")
                session = await self._interruptible(
                    run, "open session", self.driver.open_session(run.target, **self._session_options(run))
                )
                await self._pre_commit(run, session)
                if run.action.read_only:
                    return await self._read_only(run, session)
                return await self._commit_and_verify(run, session)
            except LeaseLost:
                await self._close_quietly(run, session, "lease lost")
                raise
            except Exception as exc:
                if run.committed:  # never aborted or failed by fiat once the commit may have happened
                    return await self._hand_to_verification(run, session, exc)
                if not isinstance(exc, StewardError):
                    raise
                outcome = await self._before_commit_failure(run, session, exc, attempt, policy)
                if outcome is not None:
                    return outcome

    async def _before_commit_failure(
        self, run: Run, session: ActionSession | None, exc: StewardError, attempt: int, policy: RetryPolicy
    ) -> RequestRecord | None:
        """Nothing was committed: abort, fail, or (None) retry from the first step after a backoff."""
        if isinstance(exc, Halted):
            return await self._halted(run, session, exc)
        if isinstance(exc, FailClosed):
            await self._close(run, session, "aborted")
            return await self.book.finish(run, S.ABORTED, str(exc), code=exc.code, step=getattr(exc, "step", None))
        if not isinstance(exc, ExecutionError):
            await self._close(run, session, "error")
            return await self.book.finish(run, S.FAILED, exc.message, code=exc.code)
        if session is None:  # the login itself failed: what its context blocked is still recorded
            await self._blocked(run, "login", (exc.details or {}).get("blocked", []))
        await self._close(run, session, f"attempt {attempt} failed")
        if isinstance(exc, LoginFailed):
            await _files(run).add("screenshot", "login failed", exc.screenshot, "image/png")
        if time.monotonic() > run.deadline and exc.retryable:
            budget = f"action timed out after {run.action.timeout_s:g} s at {exc.step}: {exc.message}"
            return await self.book.finish(run, S.FAILED, budget, code="timed_out", step=exc.step)
        if not policy.should_retry(exc, attempt):
            return await self.book.finish(run, S.FAILED, exc.message, code=exc.code, step=exc.step)
        delay = policy.delay(attempt)
        retry = {
            "attempt": attempt,
            "error": exc.code,
            "step": exc.step,
            "message": page_text(scrub_text(exc.message, run.secrets)),
            "delay_s": delay,
        }
        await self.book.record(run, [("step.retry", retry)])
        if exc.code == "session_lost" and hasattr(self.driver, "forget_login"):
            self.driver.forget_login(run.target)
        await asyncio.sleep(delay)
        return None

    async def _halted(self, run: Run, session: ActionSession | None, exc: Halted) -> RequestRecord:
        """A kill switch: ``aborted`` at once, in one transaction with the pending records and blocked requests.

        The trace (hundreds of ms to stop, scrub and store) is dropped; screenshots already taken are
        recorded first. The context closes only once every run the same change halted has recorded its
        state, so closing contexts (and building the next ones) does not hold up the others' halt.
        """
        try:
            events: list[tuple[str, dict[str, Any]]] = []
            if session is not None:
                await _files(run).store_shots()
                events = [*_blocked_events("login", getattr(session, "login_blocked", [])),
                          *_blocked_events("action", session.blocked)]
            rec = await self.book.finish(run, S.ABORTED, str(exc), code=exc.code, step=exc.step, events=events,
                                     trace="not kept: a kill switch halts a run at once")
        finally:
            self._halt_over(run.rec.id)
        if session is not None:
            with contextlib.suppress(Exception):  # the outcome is recorded; closing cannot change it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._halts_recorded.wait(), 5.0)
                await session.finish(keep_trace=False)
        return rec

    async def _hand_to_verification(
        self, run: Run, session: ActionSession | None, exc: Exception
    ) -> RequestRecord | None:
        """A fault after ``commit.started`` (an audit write, the browser): a verify-only run decides.

        The request becomes ``in_doubt`` with its lease already expired, so the
        next recovery sweep settles it by verification (``Recovery.settle``),
        never by committing again. If even that move cannot be written, the
        request stays ``executing`` under a lease that expires, and recovery
        reaches the same place: nothing here can end it ``aborted`` or ``failed``.
        """
        error = page_text(scrub_text(f"{type(exc).__name__}: {exc}".splitlines()[0][:300], run.secrets))
        log.error("commit.fault", request_id=run.rec.id, error=error)
        await self._close_quietly(run, session, "fault after commit")
        reason = f"fault after the commit step started ({error}); verification decides"
        try:
            await asyncio.to_thread(
                self.store.transition,
                run.rec.id,
                S.IN_DOUBT,
                actor=self.actor,
                reason=reason,
                expect={S.EXECUTING},
                updates={"lease_owner": None, "lease_expires_at": 0.0},
            )
        except Exception as again:  # the lease expires on its own; recovery moves it then
            log.error("commit.fault_unrecorded", request_id=run.rec.id, error=str(again)[:200])
        return None

    async def _close_quietly(self, run: Run, session: ActionSession | None, label: str) -> None:
        """Close a session when the outcome is already decided elsewhere; nothing here may raise."""
        try:
            await self._close(run, session, label)
        except Exception as exc:
            log.warning("session.close_failed", request_id=run.rec.id, error=str(exc)[:200])

    async def _close(self, run: Run, session: ActionSession | None, label: str, *, keep_trace: bool = True) -> None:
        """Record the session's evidence (screenshots, blocked requests, the trace when kept), then close it."""
        await self.book.flush(run)
        if session is None:
            return
        await _files(run).store_shots()  # pictures are stored before their context closes
        await self._blocked(run, "login", getattr(session, "login_blocked", []))
        await self._blocked(run, "action", session.blocked)
        try:
            trace = await session.finish(keep_trace=keep_trace)
        except Exception as exc:  # closing must never mask the real outcome
            log.warning("session.close_failed", request_id=run.rec.id, error=str(exc)[:200])
            return
        await _files(run).add("trace", label, trace, "application/zip")

    async def _blocked(self, run: Run, phase: str, requests: Any) -> None:
        """A browser.blocked event: origin and path only, query strings can carry secrets."""
        events = _blocked_events(phase, requests)
        if events:
            await self.book.record(run, events)

    async def _pre_commit(self, run: Run, session: ActionSession) -> None:
        for phase, steps in (("precondition", run.action.preconditions), ("step", run.action.steps)):
            for i, step in enumerate(steps):
                await self.book.guard(run, f"{phase} {i}: {step.describe()}")
                crash_point(f"before:{phase}:{i}")
                await self._step(run, session, phase, i, step)

    async def _extract_all(self, run: Run, session: ActionSession, specs: dict[str, Any]) -> dict[str, str]:
        problems: dict[str, str] = {}
        for name, spec in specs.items():
            step = render_step(Step(extract=spec.model_copy(update={"name": name})), run.values)
            try:
                run.extracted[name] = page_text(await session.run(step, timeout_ms=run.action.step_timeout_ms))
            except ExecutionError as exc:
                problems[name] = exc.message
        return problems

    async def _read_only(self, run: Run, session: ActionSession) -> RequestRecord:
        problems = await self._extract_all(run, session, run.action.extract)
        await self.book.record(run, [("values.extracted", {"values": dict(run.extracted), "problems": problems})])
        _files(run).shoot(session, "after read")
        await self._close(run, session, "read")
        if problems:
            name, message = next(iter(problems.items()))
            return await self.book.finish(run, S.FAILED, f"could not read {name}: {message}", code="extract_failed")
        return await self.book.finish(run, S.SUCCEEDED, "values read")

    async def _commit_and_verify(self, run: Run, session: ActionSession) -> RequestRecord | None:
        commit = run.action.commit
        assert commit is not None
        rendered = _render(commit, run.values)
        where = f"commit: {commit.describe()}"
        await self.book.guard(run, where)
        # The commit control must be unambiguous and ready before we mark the commit.
        ready = Step(expect=ExpectSpec(locator=rendered.spec.locator, state="enabled"))
        await self._interruptible(run, where, session.run(ready, timeout_ms=run.action.step_timeout_ms))
        await self.book.guard(run, where)
        with span("steward.commit", attributes={"steward.kind": commit.kind}) as current:
            commit_error, after, refused = await self._commit(run, session, rendered)
            current.set_attribute("steward.commit_error", commit_error.code if commit_error else "")
        await self.book.record(
            run,
            [
                (
                    "commit.completed",
                    {
                        "step": commit.describe(),
                        "error": commit_error.code if commit_error else None,
                        "after_commit": {k: run.extracted.get(k) for k in run.action.after_commit_names()},
                        "problems": after,
                        "refused": {"step": refused[0], "message": refused[1]} if refused else None,
                    },
                )
            ],
            commit_done_at=self.store.clock.now(),
        )
        crash_point("after:commit")
        _files(run).shoot(session, "after commit")  # verification goes on in another page meanwhile
        # A refusal counts only when the commit step itself went through: the UI answered, and not as expected.
        return await self._verify(run, session, commit_error, refused=None if commit_error else refused)

    async def _commit(
        self, run: Run, session: ActionSession, rendered: Step
    ) -> tuple[ExecutionError | None, dict[str, str], tuple[str, str] | None]:
        """``commit.started`` (durable, under the lease), the commit step, then the after_commit steps."""
        commit = run.action.commit
        assert commit is not None
        crash_point("before:commit")
        # Values read before the commit go with it, so a verify-only run after a crash can still compare.
        await self.book.flush(run)  # (the boundary just above wrote them; nothing may precede the commit unwritten)
        event = ("commit.started", {"step": commit.describe(), "extracted": dict(run.extracted)})
        if not await asyncio.to_thread(self.store.mark_commit_started, run.rec.id, self.worker_id, event, self.actor):
            raise LeaseLost(run.rec.id)
        run.committed = True
        crash_point("during:commit")
        commit_error: ExecutionError | None = None
        started = time.perf_counter()
        try:
            await session.run(rendered, timeout_ms=run.action.step_timeout_ms)
        except ExecutionError as exc:
            commit_error = exc
        self.steward.metrics.observe_step(run.rec.action, "commit", commit.kind, time.perf_counter() - started)
        crash_point("after:click")
        after, refused = await self._after_commit(run, session)
        return commit_error, after, refused

    async def _after_commit(self, run: Run, session: ActionSession) -> tuple[dict[str, str], tuple[str, str] | None]:
        """Run the after_commit steps: (extract problems by name, (step, why) of a failed check or None).

        A failed expect or wait_for stops the rest: the page is not what the commit should have left.
        """
        problems: dict[str, str] = {}
        for step in run.action.after_commit:
            key = step.extract.name if step.extract is not None and step.extract.name else step.describe()
            try:
                rendered = render_step(step, run.values)
            except TemplateError as exc:  # a value an earlier extract failed to read: unchecked, not refused
                problems[key] = str(exc)
                continue
            try:
                value = await session.run(rendered, timeout_ms=run.action.step_timeout_ms)
            except ExecutionError as exc:
                message = scrub_text(exc.message, run.secrets)
                if step.extract is not None:
                    problems[key] = message
                    continue
                return problems, (step.describe(), message)
            if step.extract is not None and step.extract.name:
                run.extracted[step.extract.name] = page_text(value)
        return problems, None

    async def _verify(
        self,
        run: Run,
        session: ActionSession,
        commit_error: ExecutionError | None,
        *,
        settling: bool = False,
        refused: tuple[str, str] | None = None,
    ) -> RequestRecord | None:
        with span("steward.verify", attributes={"steward.settling": settling}) as current:
            rec = await self._verify_traced(run, session, commit_error, settling=settling, refused=refused)
            current.set_attribute("steward.state", rec.state.value if rec is not None else "deferred")
            return rec

    async def _verify_traced(
        self,
        run: Run,
        session: ActionSession,
        commit_error: ExecutionError | None,
        *,
        settling: bool,
        refused: tuple[str, str] | None,
    ) -> RequestRecord | None:
        failure: ExecutionError | None = None
        missing = False  # verification cannot be rendered: it cannot say "not committed"
        for attempt in range(1, _VERIFY_TRIES + 1):
            failure = None
            await self.book.renew(run)
            await session.fresh_page()
            try:
                for i, step in enumerate(run.action.verify):
                    await self._step(run, session, "verify", i, step)
                    crash_point("during:verify")
                break
            except TemplateError as exc:  # a value the commit should have shown was never recorded
                failure = ExpectationFailed(f"verification needs a value that was never recorded ({exc})")
                missing = True
                break
            except ExecutionError as exc:
                failure = exc
                if attempt < _VERIFY_TRIES:
                    await asyncio.sleep(0.5 * attempt)
                    if exc.code == "session_lost":  # log in again; verification only reads
                        with contextlib.suppress(ExecutionError):
                            await session.relogin()
        if settling and failure is not None and failure.retryable:  # the target is down: try again later
            await self.book.record(run, [("verify.deferred", {"error": failure.code, "step": failure.step})])
            self.steward.metrics.verification(run.rec.action, "deferred")
            await self._close(run, session, "verification deferred")
            return None
        _files(run).shoot(session, "after verification")
        problems = await self._extract_all(run, session, run.action.extract) if failure is None else {}
        await self.book.record(run, [("values.extracted", {"values": dict(run.extracted), "problems": problems})])
        await self._close(run, session, "committed")
        if failure is None:
            note = f" (the commit step reported {commit_error.code}, verification settled it)" if commit_error else ""
            if refused is not None:
                note += f" (the after-commit check {refused[0]} failed: {refused[1]}; verification found the change)"
            return await self.book.finish(run, S.SUCCEEDED, "verified" + note)
        if refused is not None and not missing and not failure.retryable:
            reason = (
                f"the UI refused the commit: {refused[0]} failed ({refused[1]}), "
                f"and verification did not find the change: {failure.message}"
            )
            return await self.book.finish(run, S.FAILED, reason, code="commit_refused", step=refused[0])
        if settling and not missing and run.rec.commit_done_at is None:
            reason = f"the commit step started but verification shows it did not take effect: {failure.message}"
            return await self.book.finish(run, S.FAILED, reason, code="not_committed", step=failure.step)
        return await self.book.finish(
            run,
            S.UNVERIFIED,
            f"committed, but verification did not confirm: {failure.message}",
            code="unverified",
            step=failure.step,
            handoff="A person must check the back-office and settle this request.",
        )


def _files(run: Run) -> RunEvidence:
    assert run.files is not None, "runs are made by Runner._new_run"
    return run.files


def _render(step: Step, values: dict[str, dict[str, Any]]) -> Step:
    """Render a step before the commit: a value that cannot be used fails the run (nothing changed yet)."""
    try:
        return render_step(step, values)
    except TemplateError as exc:
        raise ExecutionError(f"{step.describe()}: {exc}", step=step.describe()) from None


def _blocked_events(phase: str, requests: Any) -> list[tuple[str, dict[str, Any]]]:
    """The browser.blocked event for ``requests`` (none when nothing was blocked)."""
    blocked = [dict(b.__dict__) for b in requests or []]
    if not blocked:
        return []
    return [("browser.blocked", {"phase": phase, "requests": blocked[:50], "count": len(blocked)})]
