"""The errors of the agent-facing interfaces (client, tool calls), each saying whether retrying can help.

::

    StewardClientError                 base; ``retryable`` says whether the same call may succeed later
    ├── StewardConnectionError         the API could not be reached (refused, DNS, connect timeout): retryable
    ├── StewardAPIError                an error response (``status``, ``code``, ``message``, ``details``)
    │   └── StewardRateLimited         429 still answered after the client's bounded retries: retryable
    └── ToolCallError                  a model's tool call that is not what the tool takes: never executed,
                                       never retryable as is (the model must change the call)

Only the standard library is imported here, so ``executor.client`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["StewardAPIError", "StewardClientError", "StewardConnectionError", "StewardRateLimited", "ToolCallError"]


class StewardClientError(Exception):
    """Base of every error the client and the agent helpers raise."""

    @property
    def retryable(self) -> bool:
        return False


class StewardConnectionError(StewardClientError):
    """The API could not be reached; no request reached the server (``__cause__`` is the transport's error)."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach the Steward API at {base_url}: {reason}")
        self.base_url, self.reason = base_url, reason

    @property
    def retryable(self) -> bool:
        return True


class StewardAPIError(StewardClientError):
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


class StewardRateLimited(StewardAPIError):
    """429 after every retry the client's ``RetryPolicy`` allows."""


class ToolCallError(StewardClientError):
    """A tool call that does not match its tool: unknown tool, bad JSON, missing or unknown arguments."""

    def __init__(self, tool: str, problems: list[str]) -> None:
        super().__init__(f"{tool}: " + "; ".join(problems))
        self.tool, self.problems = tool, problems
