"""API keys: bearer tokens with a role, stored only as a sha256 hash.

A token is printed once, at creation; the database keeps its hash, the key's
name (the identity recorded in the audit log) and its role. Revoking keeps the
row so a name can never be reused by someone else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from audit.engine import read_connection
from executor.errors import IdempotencyConflict, NotFound, RequestError
from executor.identity import check_operator

__all__ = ["ROLES", "ApiKey", "KeyStore", "Role", "hash_token", "keys_table"]

Role = Literal["agent", "operator", "auditor"]
ROLES: tuple[str, ...] = get_args(Role)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_PREFIX = "stw_"

metadata = MetaData()
keys_table = Table(
    "steward_api_keys",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)


def hash_token(token: str) -> str:
    """sha256 hex of a token: tokens have 256 bits of entropy, so no salt or KDF is needed."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the token itself)."""

    name: str
    role: Role
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "active": self.active,
        }


def _key(row: object) -> ApiKey:
    m = row._mapping  # type: ignore[attr-defined]
    return ApiKey(name=m["name"], role=m["role"], created_at=m["created_at"], revoked_at=m["revoked_at"])


class KeyStore:
    """Create, list, revoke and authenticate API keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """A new key and its token (shown once); RequestError for a bad name or role."""
        if role not in ROLES:
            raise RequestError(f"unknown role {role!r} (use {', '.join(ROLES)})")
        if not _NAME.match(name):
            raise RequestError("a key name is 1-100 characters: letters, digits, . _ @ -")
        check_operator(name, "key name")
        token = _PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(name=name, role=role, created_at=time.time())  # type: ignore[arg-type]
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(keys_table).values(
                        name=name, role=role, token_hash=hash_token(token), created_at=key.created_at
                    )
                )
        except IntegrityError as exc:
            raise IdempotencyConflict(f"a key named {name!r} already exists (names are never reused)") from exc
        return key, token

    def list(self) -> list[ApiKey]:
        """Every key, active or revoked, by name."""
        with read_connection(self.engine) as conn:
            return [_key(r) for r in conn.execute(select(keys_table).order_by(keys_table.c.name))]

    def revoke(self, name: str) -> ApiKey:
        """Revoke a key at once; NotFound when there is no such active key."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                update(keys_table)
                .where(keys_table.c.name == name, keys_table.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
            if not gone.rowcount:
                raise NotFound(f"no active key named {name!r}")
            row = conn.execute(select(keys_table).where(keys_table.c.name == name)).first()
        return _key(row)

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key for ``token``, or None."""
        if not token.startswith(_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        with read_connection(self.engine) as conn:
            row = conn.execute(select(keys_table).where(keys_table.c.token_hash == digest)).first()
        if row is None or not hmac.compare_digest(row._mapping["token_hash"], digest):
            return None
        key = _key(row)
        return key if key.active else None
