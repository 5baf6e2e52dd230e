"""Bearer API keys and the role matrix.

Every route depends on ``require(...)`` with the roles SPEC section 7 allows:
no or an unknown token is 401, a known key with another role is 403. The key's
name is the caller's identity everywhere (requester, operator, audit actor).
The per-key rate limit is applied here, after authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from executor.api.errors import ApiError
from executor.api.limits import RateLimiter
from executor.apikeys import ApiKey, KeyStore

__all__ = ["ApiConfig", "ApiState", "Caller", "require", "state_of"]

_bearer = HTTPBearer(auto_error=False, description="An API key created with `steward keys create`.")


@dataclass(frozen=True)
class ApiConfig:
    """Limits of one API process; the defaults suit a single support team."""

    max_body_bytes: int = 64 * 1024
    rate_per_s: float = 20.0  # sustained requests per second per key; 0 disables
    burst: int = 40
    max_wait_s: float = 60.0  # cap of ?wait= long-polls
    poll_interval_s: float = 0.2


@dataclass
class ApiState:
    """What every route needs, kept on ``app.state.steward_api``."""

    steward: Any
    keys: KeyStore
    config: ApiConfig
    limiter: RateLimiter
    # Serialises submits of actions with budget limits in this process, so two
    # concurrent submits cannot both read the same window (see README: API).
    budget_lock: Lock = field(default_factory=Lock)


@dataclass(frozen=True)
class Caller:
    """The authenticated caller."""

    key: ApiKey

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def role(self) -> str:
        return self.key.role

    @property
    def actor(self) -> str:
        """The audit actor string, e.g. ``agent:bot-1``."""
        return f"{self.key.role}:{self.key.name}"


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.steward_api
    return state


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def require(*roles: str) -> Callable[..., Caller]:
    """A dependency admitting only keys with one of ``roles``."""
    allowed = frozenset(roles)

    def dependency(request: Request,
                   creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
        if creds is None or not creds.credentials:
            raise _unauthorized("a bearer API key is required (Authorization: Bearer <token>)")
        state = state_of(request)
        key = state.keys.authenticate(creds.credentials)
        if key is None:
            raise _unauthorized("unknown or revoked API key")
        if key.role not in allowed:
            raise ApiError(403, "forbidden", f"a {key.role} key may not do this (needs {', '.join(sorted(allowed))})",
                           details={"role": key.role, "allowed": sorted(allowed)})
        wait = state.limiter.take(key.name)
        if wait > 0:
            retry = RateLimiter.retry_after(wait)
            raise ApiError(429, "rate_limited", f"too many requests for key {key.name}; retry in {retry} s",
                           details={"retry_after_s": round(wait, 3)}, headers={"Retry-After": retry})
        return Caller(key)

    return dependency
