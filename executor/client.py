"""Python clients for the Steward HTTP API (httpx): ``StewardClient`` and ``AsyncStewardClient``.

Both have one typed method per route. Results are the wire models of
``executor.wire`` (the same pydantic models the server's OpenAPI document is
generated from); any error response raises ``StewardAPIError`` with the
server's ``code``, ``message`` and ``details``::

    with StewardClient("http://127.0.0.1:8000", token) as api:
        req = api.submit("lookup_account", {"account_id": "ACC-000003"}, idempotency_key="conv-9")
        done = api.get(req.id, wait=30)
        print(done.state, done.extracted)

``model.model_dump(mode="json")`` gives the JSON body back as a dict.

A refused connection raises ``StewardConnectionError``; 429 and 503 are
retried after the server's ``Retry-After`` within a bounded ``RetryPolicy``,
then raised (``StewardRateLimited`` for 429). The errors are those of
``executor.agents.errors``. Importing this module loads pydantic and the wire
models only: httpx is imported when the first client is made, and SQLAlchemy,
CEL, FastAPI and Playwright never.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import quote

from executor.agents.errors import StewardAPIError, StewardConnectionError, StewardRateLimited
from executor.wire import (
    ActionList,
    ActionRequestView,
    ApprovalList,
    AuditEventPage,
    Catalog,
    Identity,
    KillSwitch,
    KillSwitchList,
    KillSwitchRelease,
    ProofResult,
    SubmitResult,
    VerifyResult,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncStewardClient",
    "RetryPolicy",
    "StewardAPIError",
    "StewardClient",
    "StewardConnectionError",
    "StewardRateLimited",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Call(Generic[_T]):
    """One route call: what to send and what the answer is (a wire model, or ``bytes`` for a file)."""

    method: str
    path: str
    query: dict[str, Any] | None
    body: Any
    result: type[_T]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a call is re-sent after 429, 503 or a refused connection (nothing reached the server).

    ``max_attempts`` counts the first try; the wait is the server's ``Retry-After``
    when it sends one, else ``backoff_s`` doubled per attempt, never more than
    ``max_delay_s``. Other errors (4xx, 500) are never retried: the same call
    would fail the same way.
    """

    max_attempts: int = 3
    backoff_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, error: Exception) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None when ``error`` must be raised now."""
        if attempt >= self.max_attempts or not getattr(error, "retryable", False):
            return None
        hinted = error.retry_after if isinstance(error, StewardAPIError) else None
        wait = hinted if hinted is not None else self.backoff_s * 2 ** (attempt - 1)
        return min(max(wait, 0.0), self.max_delay_s)


def _final(error: Exception) -> Exception:
    """The error raised when retries are over: a 429 becomes ``StewardRateLimited``."""
    if isinstance(error, StewardAPIError) and error.status == 429 and not isinstance(error, StewardRateLimited):
        return StewardRateLimited(error.status, error.code, error.message, error.details, error.retry_after)
    return error


def _result(resp: httpx.Response, call: _Call[_T]) -> _T:
    """The call's result, or the response's error as ``StewardAPIError``."""
    if resp.status_code < 400:
        if call.result is bytes:
            return cast(_T, resp.content)
        parsed: _T = call.result.model_validate(resp.json())  # type: ignore[attr-defined]
        return parsed
    try:
        err = resp.json()["error"]
        code, message, details = str(err["code"]), str(err["message"]), err.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "http_error", resp.text[:500], None
    retry = resp.headers.get("Retry-After")
    after = float(retry) if retry and retry.isdigit() else None
    error = StewardAPIError(resp.status_code, code, message, details, after)
    raise error


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _id(request_id: str) -> str:
    return quote(request_id, safe="")


class _Routes:
    """Builds each route's call; the sync and async clients only send them."""

    @staticmethod
    def submit(action: str, params: dict[str, Any] | None, idempotency_key: str | None,
               context: dict[str, Any] | None, confirmation: dict[str, Any] | None) -> _Call[SubmitResult]:
        body = _drop_none({"action": action, "params": params or {}, "idempotency_key": idempotency_key,
                           "context": context, "confirmation": confirmation})
        return _Call("POST", "/v1/actions", None, body, SubmitResult)

    @staticmethod
    def get(request_id: str, wait: float | None) -> _Call[ActionRequestView]:
        return _Call("GET", f"/v1/actions/{_id(request_id)}", _drop_none({"wait": wait}), None, ActionRequestView)

    @staticmethod
    def list_requests(states: list[str] | None, limit: int) -> _Call[ActionList]:
        return _Call("GET", "/v1/actions", _drop_none({"state": states, "limit": limit}), None, ActionList)

    @staticmethod
    def confirm(request_id: str, quote_text: str, params_hash: str, channel: str, reference: str | None,
                confirmed_at: datetime | None) -> _Call[ActionRequestView]:
        body = _drop_none({"channel": channel, "quote": quote_text, "params_hash": params_hash,
                           "reference": reference, "confirmed_at": confirmed_at.isoformat() if confirmed_at else None})
        return _Call("POST", f"/v1/actions/{_id(request_id)}/confirmation", None, body, ActionRequestView)

    @staticmethod
    def decide(request_id: str, verb: str, body: dict[str, Any]) -> _Call[ActionRequestView]:
        return _Call("POST", f"/v1/actions/{_id(request_id)}/{verb}", None, body, ActionRequestView)

    @staticmethod
    def evidence(request_id: str, sha256: str) -> _Call[bytes]:
        return _Call("GET", f"/v1/actions/{_id(request_id)}/evidence/{quote(sha256, safe='')}", None, None, bytes)

    @staticmethod
    def approvals(limit: int) -> _Call[ApprovalList]:
        return _Call("GET", "/v1/approvals", {"limit": limit}, None, ApprovalList)

    @staticmethod
    def kill(scope: str, reason: str) -> _Call[KillSwitch]:
        return _Call("POST", "/v1/kill-switch", None, {"scope": scope, "reason": reason}, KillSwitch)

    @staticmethod
    def release(scope: str, reason: str) -> _Call[KillSwitchRelease]:
        path = f"/v1/kill-switch/{quote(scope, safe=':')}"
        return _Call("DELETE", path, {"reason": reason}, None, KillSwitchRelease)

    @staticmethod
    def kill_switches() -> _Call[KillSwitchList]:
        return _Call("GET", "/v1/kill-switch", None, None, KillSwitchList)

    @staticmethod
    def catalog() -> _Call[Catalog]:
        return _Call("GET", "/v1/catalog", None, None, Catalog)

    @staticmethod
    def me() -> _Call[Identity]:
        return _Call("GET", "/v1/me", None, None, Identity)

    @staticmethod
    def audit_events(after_seq: int | None, limit: int, action_id: str | None,
                     types: list[str] | None) -> _Call[AuditEventPage]:
        query = _drop_none({"after_seq": after_seq, "limit": limit, "action_id": action_id, "type": types})
        return _Call("GET", "/v1/audit/events", query, None, AuditEventPage)

    @staticmethod
    def audit_verify() -> _Call[VerifyResult]:
        return _Call("GET", "/v1/audit/verify", None, None, VerifyResult)

    @staticmethod
    def audit_proof(seq: int, tree_size: int | None) -> _Call[ProofResult]:
        return _Call("GET", f"/v1/audit/proof/{int(seq)}", _drop_none({"tree_size": tree_size}), None, ProofResult)


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": "steward-client/1"}


class StewardClient:
    """Synchronous client; use as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 90.0,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """``http`` reuses an existing httpx client (e.g. Starlette's TestClient); it is not closed here."""
        import httpx

        self._own = http is None
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self._headers = _headers(token)
        self._base_url, self._retry = base_url, retry or RetryPolicy()
        self._transport_errors: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)

    def _send(self, call: _Call[_T]) -> _T:
        attempt = 0
        while True:
            attempt += 1
            try:
                try:
                    resp = self._http.request(call.method, call.path, params=call.query, json=call.body,
                                              headers=self._headers)
                except self._transport_errors as exc:
                    raise StewardConnectionError(self._base_url, str(exc) or type(exc).__name__) from exc
                return _result(resp, call)
            except (StewardAPIError, StewardConnectionError) as exc:
                wait = self._retry.delay(attempt, exc)
                if wait is None:
                    raise _final(exc) from exc.__cause__
                time.sleep(wait)

    def submit(self, action: str, params: dict[str, Any] | None = None, *, idempotency_key: str | None = None,
               context: dict[str, Any] | None = None, confirmation: dict[str, Any] | None = None) -> SubmitResult:
        """POST /v1/actions (agent): the request, with ``created`` (and ``handoff`` when it awaits approval)."""
        return self._send(_Routes.submit(action, params, idempotency_key, context, confirmation))

    def get(self, request_id: str, *, wait: float | None = None) -> ActionRequestView:
        """GET /v1/actions/{id}; ``wait`` long-polls for a terminal state."""
        return self._send(_Routes.get(request_id, wait))

    def list_requests(self, *, states: list[str] | None = None, limit: int = 50) -> ActionList:
        """GET /v1/actions: newest first (an agent sees its own)."""
        return self._send(_Routes.list_requests(states, limit))

    def confirm(self, request_id: str, *, quote: str, params_hash: str, channel: str = "chat",
                reference: str | None = None, confirmed_at: datetime | None = None) -> ActionRequestView:
        """POST /v1/actions/{id}/confirmation (agent)."""
        return self._send(_Routes.confirm(request_id, quote, params_hash, channel, reference, confirmed_at))

    def approve(self, request_id: str, note: str = "") -> ActionRequestView:
        """POST /v1/actions/{id}/approve (operator)."""
        return self._send(_Routes.decide(request_id, "approve", {"note": note}))

    def reject(self, request_id: str, reason: str) -> ActionRequestView:
        """POST /v1/actions/{id}/reject (operator)."""
        return self._send(_Routes.decide(request_id, "reject", {"reason": reason}))

    def cancel(self, request_id: str, reason: str = "") -> ActionRequestView:
        """POST /v1/actions/{id}/cancel (agent: own; operator)."""
        return self._send(_Routes.decide(request_id, "cancel", {"reason": reason}))

    def evidence(self, request_id: str, sha256: str) -> bytes:
        """GET /v1/actions/{id}/evidence/{sha256}: the file's bytes, re-hashed by the server before sending."""
        return self._send(_Routes.evidence(request_id, sha256))

    def approvals(self, limit: int = 100) -> ApprovalList:
        """GET /v1/approvals (operator): pending approvals with handoff packets."""
        return self._send(_Routes.approvals(limit))

    def kill(self, scope: str, reason: str) -> KillSwitch:
        """POST /v1/kill-switch (operator)."""
        return self._send(_Routes.kill(scope, reason))

    def release(self, scope: str, reason: str) -> KillSwitchRelease:
        """DELETE /v1/kill-switch/{scope} (operator)."""
        return self._send(_Routes.release(scope, reason))

    def kill_switches(self) -> KillSwitchList:
        """GET /v1/kill-switch (operator)."""
        return self._send(_Routes.kill_switches())

    def catalog(self) -> Catalog:
        """GET /v1/catalog (agent): actions with parameter schemas."""
        return self._send(_Routes.catalog())

    def me(self) -> Identity:
        """GET /v1/me: the calling key's name and role."""
        return self._send(_Routes.me())

    def audit_events(self, *, after_seq: int | None = None, limit: int = 100, action_id: str | None = None,
                     types: list[str] | None = None) -> AuditEventPage:
        """GET /v1/audit/events (auditor): one page."""
        return self._send(_Routes.audit_events(after_seq, limit, action_id, types))

    def audit_verify(self) -> VerifyResult:
        """GET /v1/audit/verify (auditor)."""
        return self._send(_Routes.audit_verify())

    def audit_proof(self, seq: int, tree_size: int | None = None) -> ProofResult:
        """GET /v1/audit/proof/{seq} (auditor)."""
        return self._send(_Routes.audit_proof(seq, tree_size))

    def close(self) -> None:
        if self._own:
            self._http.close()

    def __enter__(self) -> StewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStewardClient:
    """Asynchronous client: the same methods and results, awaited."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 90.0, transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        import httpx

        self._http = httpx.AsyncClient(base_url=base_url, headers=_headers(token), timeout=timeout, transport=transport)
        self._base_url, self._retry = base_url, retry or RetryPolicy()
        self._transport_errors: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)

    async def _send(self, call: _Call[_T]) -> _T:
        attempt = 0
        while True:
            attempt += 1
            try:
                try:
                    resp = await self._http.request(call.method, call.path, params=call.query, json=call.body)
                except self._transport_errors as exc:
                    raise StewardConnectionError(self._base_url, str(exc) or type(exc).__name__) from exc
                return _result(resp, call)
            except (StewardAPIError, StewardConnectionError) as exc:
                wait = self._retry.delay(attempt, exc)
                if wait is None:
                    raise _final(exc) from exc.__cause__
                import asyncio  # here: asyncio alone costs a sync client's import 20-40 ms

                await asyncio.sleep(wait)

    async def submit(self, action: str, params: dict[str, Any] | None = None, *, idempotency_key: str | None = None,
                     context: dict[str, Any] | None = None,
                     confirmation: dict[str, Any] | None = None) -> SubmitResult:
        """POST /v1/actions (agent)."""
        return await self._send(_Routes.submit(action, params, idempotency_key, context, confirmation))

    async def get(self, request_id: str, *, wait: float | None = None) -> ActionRequestView:
        """GET /v1/actions/{id}; ``wait`` long-polls for a terminal state."""
        return await self._send(_Routes.get(request_id, wait))

    async def list_requests(self, *, states: list[str] | None = None, limit: int = 50) -> ActionList:
        """GET /v1/actions."""
        return await self._send(_Routes.list_requests(states, limit))

    async def confirm(self, request_id: str, *, quote: str, params_hash: str, channel: str = "chat",
                      reference: str | None = None, confirmed_at: datetime | None = None) -> ActionRequestView:
        """POST /v1/actions/{id}/confirmation (agent)."""
        return await self._send(_Routes.confirm(request_id, quote, params_hash, channel, reference, confirmed_at))

    async def approve(self, request_id: str, note: str = "") -> ActionRequestView:
        """POST /v1/actions/{id}/approve (operator)."""
        return await self._send(_Routes.decide(request_id, "approve", {"note": note}))

    async def reject(self, request_id: str, reason: str) -> ActionRequestView:
        """POST /v1/actions/{id}/reject (operator)."""
        return await self._send(_Routes.decide(request_id, "reject", {"reason": reason}))

    async def cancel(self, request_id: str, reason: str = "") -> ActionRequestView:
        """POST /v1/actions/{id}/cancel (agent: own; operator)."""
        return await self._send(_Routes.decide(request_id, "cancel", {"reason": reason}))

    async def evidence(self, request_id: str, sha256: str) -> bytes:
        """GET /v1/actions/{id}/evidence/{sha256}."""
        return await self._send(_Routes.evidence(request_id, sha256))

    async def approvals(self, limit: int = 100) -> ApprovalList:
        """GET /v1/approvals (operator)."""
        return await self._send(_Routes.approvals(limit))

    async def kill(self, scope: str, reason: str) -> KillSwitch:
        """POST /v1/kill-switch (operator)."""
        return await self._send(_Routes.kill(scope, reason))

    async def release(self, scope: str, reason: str) -> KillSwitchRelease:
        """DELETE /v1/kill-switch/{scope} (operator)."""
        return await self._send(_Routes.release(scope, reason))

    async def kill_switches(self) -> KillSwitchList:
        """GET /v1/kill-switch (operator)."""
        return await self._send(_Routes.kill_switches())

    async def catalog(self) -> Catalog:
        """GET /v1/catalog (agent)."""
        return await self._send(_Routes.catalog())

    async def me(self) -> Identity:
        """GET /v1/me."""
        return await self._send(_Routes.me())

    async def audit_events(self, *, after_seq: int | None = None, limit: int = 100, action_id: str | None = None,
                           types: list[str] | None = None) -> AuditEventPage:
        """GET /v1/audit/events (auditor): one page."""
        return await self._send(_Routes.audit_events(after_seq, limit, action_id, types))

    async def audit_verify(self) -> VerifyResult:
        """GET /v1/audit/verify (auditor)."""
        return await self._send(_Routes.audit_verify())

    async def audit_proof(self, seq: int, tree_size: int | None = None) -> ProofResult:
        """GET /v1/audit/proof/{seq} (auditor)."""
        return await self._send(_Routes.audit_proof(seq, tree_size))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncStewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
