"""Python clients for the Steward HTTP API (httpx): ``StewardClient`` and ``AsyncStewardClient``.

Both have one typed method per route and raise ``StewardAPIError`` (with the
server's ``code``, ``message`` and ``details``) for any error response::

    with StewardClient("http://127.0.0.1:8000", token) as api:
        req = api.submit("lookup_account", {"account_id": "ACC-000003"}, idempotency_key="conv-9")
        done = api.get(req["id"], wait=30)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

__all__ = ["AsyncStewardClient", "StewardAPIError", "StewardClient"]

_Call = tuple[str, str, dict[str, Any] | None, Any]  # method, path, query, json body


class StewardAPIError(Exception):
    """An error response; ``retryable`` is True for 429 and 503 (wait ``retry_after`` seconds)."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details, self.retry_after = details, retry_after

    @property
    def retryable(self) -> bool:
        return self.status in (429, 503)


def _result(resp: httpx.Response) -> Any:
    if resp.status_code < 400:
        return resp.json()
    try:
        err = resp.json()["error"]
        code, message, details = str(err["code"]), str(err["message"]), err.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "http_error", resp.text[:500], None
    retry = resp.headers.get("Retry-After")
    raise StewardAPIError(resp.status_code, code, message, details, float(retry) if retry and retry.isdigit() else None)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class _Routes:
    """Builds each route's call; the sync and async clients only send them."""

    @staticmethod
    def submit(
        action: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        context: dict[str, Any] | None = None,
        confirmation: dict[str, Any] | None = None,
    ) -> _Call:
        body = _drop_none(
            {
                "action": action,
                "params": params or {},
                "idempotency_key": idempotency_key,
                "context": context,
                "confirmation": confirmation,
            }
        )
        return "POST", "/v1/actions", None, body

    @staticmethod
    def get(request_id: str, wait: float | None = None) -> _Call:
        return "GET", f"/v1/actions/{quote(request_id, safe='')}", _drop_none({"wait": wait}), None

    @staticmethod
    def list_requests(states: list[str] | None = None, limit: int = 50) -> _Call:
        return "GET", "/v1/actions", _drop_none({"state": states, "limit": limit}), None

    @staticmethod
    def confirm(
        request_id: str,
        *,
        quote_text: str,
        params_hash: str,
        channel: str = "chat",
        reference: str | None = None,
        confirmed_at: datetime | None = None,
    ) -> _Call:
        body = _drop_none(
            {
                "channel": channel,
                "quote": quote_text,
                "params_hash": params_hash,
                "reference": reference,
                "confirmed_at": confirmed_at.isoformat() if confirmed_at else None,
            }
        )
        return "POST", f"/v1/actions/{quote(request_id, safe='')}/confirmation", None, body

    @staticmethod
    def decide(request_id: str, verb: str, body: dict[str, Any]) -> _Call:
        return "POST", f"/v1/actions/{quote(request_id, safe='')}/{verb}", None, body

    @staticmethod
    def audit_events(
        after_seq: int | None = None, limit: int = 100, action_id: str | None = None, types: list[str] | None = None
    ) -> _Call:
        query = _drop_none({"after_seq": after_seq, "limit": limit, "action_id": action_id, "type": types})
        return "GET", "/v1/audit/events", query, None


class _Methods(ABC):
    """Typed methods shared by both clients; ``_send`` is sync or async."""

    @abstractmethod
    def _send(self, call: _Call) -> Any:
        """Send one route call (the sync client returns data, the async one a coroutine)."""

    def submit(
        self,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        context: dict[str, Any] | None = None,
        confirmation: dict[str, Any] | None = None,
    ) -> Any:
        """POST /v1/actions (agent): the request view, with ``created``."""
        return self._send(
            _Routes.submit(action, params, idempotency_key=idempotency_key, context=context, confirmation=confirmation)
        )

    def get(self, request_id: str, *, wait: float | None = None) -> Any:
        """GET /v1/actions/{id}; ``wait`` long-polls for a terminal state."""
        return self._send(_Routes.get(request_id, wait))

    def list_requests(self, *, states: list[str] | None = None, limit: int = 50) -> Any:
        """GET /v1/actions: newest first (an agent sees its own)."""
        return self._send(_Routes.list_requests(states, limit))

    def confirm(
        self,
        request_id: str,
        *,
        quote: str,
        params_hash: str,
        channel: str = "chat",
        reference: str | None = None,
        confirmed_at: datetime | None = None,
    ) -> Any:
        """POST /v1/actions/{id}/confirmation (agent)."""
        return self._send(
            _Routes.confirm(
                request_id,
                quote_text=quote,
                params_hash=params_hash,
                channel=channel,
                reference=reference,
                confirmed_at=confirmed_at,
            )
        )

    def approve(self, request_id: str, note: str = "") -> Any:
        """POST /v1/actions/{id}/approve (operator)."""
        return self._send(_Routes.decide(request_id, "approve", {"note": note}))

    def reject(self, request_id: str, reason: str) -> Any:
        """POST /v1/actions/{id}/reject (operator)."""
        return self._send(_Routes.decide(request_id, "reject", {"reason": reason}))

    def cancel(self, request_id: str, reason: str = "") -> Any:
        """POST /v1/actions/{id}/cancel (agent: own; operator)."""
        return self._send(_Routes.decide(request_id, "cancel", {"reason": reason}))

    def approvals(self, limit: int = 100) -> Any:
        """GET /v1/approvals (operator): pending approvals with handoff packets."""
        return self._send(("GET", "/v1/approvals", {"limit": limit}, None))

    def kill(self, scope: str, reason: str) -> Any:
        """POST /v1/kill-switch (operator)."""
        return self._send(("POST", "/v1/kill-switch", None, {"scope": scope, "reason": reason}))

    def release(self, scope: str, reason: str) -> Any:
        """DELETE /v1/kill-switch/{scope} (operator)."""
        return self._send(("DELETE", f"/v1/kill-switch/{quote(scope, safe=':')}", {"reason": reason}, None))

    def kill_switches(self) -> Any:
        """GET /v1/kill-switch (operator)."""
        return self._send(("GET", "/v1/kill-switch", None, None))

    def catalog(self) -> Any:
        """GET /v1/catalog (agent): actions with parameter schemas."""
        return self._send(("GET", "/v1/catalog", None, None))

    def audit_events(
        self,
        *,
        after_seq: int | None = None,
        limit: int = 100,
        action_id: str | None = None,
        types: list[str] | None = None,
    ) -> Any:
        """GET /v1/audit/events (auditor): one page."""
        return self._send(_Routes.audit_events(after_seq, limit, action_id, types))

    def audit_verify(self) -> Any:
        """GET /v1/audit/verify (auditor)."""
        return self._send(("GET", "/v1/audit/verify", None, None))

    def audit_proof(self, seq: int, tree_size: int | None = None) -> Any:
        """GET /v1/audit/proof/{seq} (auditor)."""
        return self._send(("GET", f"/v1/audit/proof/{int(seq)}", _drop_none({"tree_size": tree_size}), None))


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "User-Agent": "steward-client/1"}


class StewardClient(_Methods):
    """Synchronous client; use as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 90.0,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        """``http`` reuses an existing httpx client (e.g. Starlette's TestClient); it is not closed here."""
        self._own = http is None
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self._headers = _headers(token)

    def _send(self, call: _Call) -> Any:
        method, path, query, body = call
        return _result(self._http.request(method, path, params=query, json=body, headers=self._headers))

    def close(self) -> None:
        if self._own:
            self._http.close()

    def __enter__(self) -> StewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStewardClient(_Methods):
    """Asynchronous client: the same methods, awaited."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 90.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, headers=_headers(token), timeout=timeout, transport=transport)

    async def _asend(self, call: _Call) -> Any:
        method, path, query, body = call
        return _result(await self._http.request(method, path, params=query, json=body))

    def _send(self, call: _Call) -> Any:
        return self._asend(call)  # a coroutine: every method of this class is awaited

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncStewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
