"""One run's evidence: screenshots and traces hashed, stored and named in the audit log before the run ends.

Screenshots are taken off the critical path: ``shoot`` pictures the current page
at once and lets the capture, hashing and writing go on while the run moves to
verification; ``store_shots`` (called before the session closes) waits for
them and writes their ``evidence.stored`` events. A missing picture never
decides an outcome; a picture that cannot be stored is raised, because stored
evidence is audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from audit import EvidenceStore
from executor.browser.driver import ActionSession

__all__ = ["RunEvidence"]

log = structlog.get_logger("steward.runner")

Record = Callable[[list[tuple[str, dict[str, Any]]]], Awaitable[None]]


class RunEvidence:
    """The evidence of one request's run; ``items`` is what its outcome lists."""

    def __init__(self, store: EvidenceStore, request_id: str, record: Record, items: list[dict[str, Any]]) -> None:
        self.store = store
        self.request_id = request_id
        self.record = record
        self.items = items
        self._shots: list[tuple[str, asyncio.Future[dict[str, Any] | None]]] = []

    def _put(self, data: bytes, media_type: str) -> dict[str, Any]:
        """Hash and store a file (blocking: call it in a thread)."""
        ref = self.store.put(data, media_type=media_type)
        item: dict[str, Any] = {"sha256": ref.sha256, "size": ref.size, "media_type": media_type}
        path = self.store.path(ref.sha256)
        if path is not None:
            item["path"] = str(path)
        return item

    async def add(self, kind: str, label: str, data: bytes | None, media_type: str) -> None:
        """Store ``data`` now and record it (nothing when there is no data)."""
        if data:
            await self._named(kind, label, await asyncio.to_thread(self._put, data, media_type))

    async def _named(self, kind: str, label: str, stored: dict[str, Any]) -> None:
        item = {"kind": kind, "label": label, **stored}
        self.items.append(item)
        await self.record([("evidence.stored", {k: v for k, v in item.items() if k != "path"})])

    def shoot(self, session: ActionSession, label: str) -> None:
        """Picture the current page now; it is taken, hashed and stored while the run goes on."""

        async def take() -> dict[str, Any] | None:
            try:
                data = await session.screenshot()
            except Exception as exc:  # a missing picture never decides an outcome
                log.warning("screenshot.failed", request_id=self.request_id, label=label, error=str(exc)[:200])
                return None
            return await asyncio.to_thread(self._put, data, "image/png")

        self._shots.append((label, asyncio.ensure_future(take())))

    async def store_shots(self) -> None:
        """Wait for the pictures taken so far and record them (before their context closes)."""
        shots, self._shots = self._shots, []
        stored = await asyncio.gather(*(task for _, task in shots), return_exceptions=True)
        for (label, _), item in zip(shots, stored, strict=True):
            if isinstance(item, BaseException):
                raise item
            if item is not None:
                await self._named("screenshot", label, item)
