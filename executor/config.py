"""Where Steward keeps its state, resolved once from flags and environment.

Everything a process needs to find (database, evidence, checkpoints, keys,
catalog, policy) hangs off one ``Settings`` value so the CLI, the worker, the
API and the demo agree on paths without passing a dozen arguments around.

Integrity and audit-witness settings (each also a flag where settings are
built: serve, worker, demo):

- ``STEWARD_POLICY_SHA256`` / ``STEWARD_CATALOG_SHA256``: the only policy or
  catalog version a process may load;
- ``STEWARD_REQUIRE_END_MARKER=1``: every policy and catalog file must finish
  with ``end: true``;
- ``STEWARD_VERIFIER_KEY``: the audit verifier key (a file or a key string)
  used by ``audit verify`` and ``GET /v1/audit/verify`` (default keys/audit.pub);
- ``STEWARD_WITNESS_DIR`` / ``STEWARD_WITNESS_URL``: where every signed
  checkpoint is also delivered as it is signed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DEFAULT_CATALOG_DIR",
    "DEFAULT_POLICY_PATH",
    "NO_POLICY",
    "Settings",
    "default_db_url",
    "env_flag",
    "normalize_db_url",
]

NO_POLICY = "none"  # `--policy none`: every action runs at its catalog class
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG_DIR = _PACKAGE_ROOT / "action_classes" / "catalog"
DEFAULT_POLICY_PATH = _PACKAGE_ROOT / "policies" / "default.yaml"


def normalize_db_url(url: str) -> str:
    """Accept plain paths and ``postgresql://`` URLs; return a SQLAlchemy URL.

    A bare path becomes a SQLite file URL; ``postgresql://`` and ``postgres://``
    select the psycopg 3 driver, which is the one the project installs.
    """
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_flag(name: str) -> bool:
    """True when the variable is set to 1, true, yes or on."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_path(name: str) -> Path | None:
    value = _env(name)
    return Path(value).expanduser() if value else None


def default_db_url() -> str:
    """``STEWARD_DB`` when set, else ``./steward.db``."""
    return normalize_db_url(os.environ.get("STEWARD_DB") or "steward.db")


@dataclass(frozen=True)
class Settings:
    """Resolved locations and knobs for one Steward process."""

    db_url: str = field(default_factory=default_db_url)
    home: Path = field(default_factory=lambda: Path(os.environ.get("STEWARD_HOME") or ".steward").resolve())
    catalog_dir: Path = DEFAULT_CATALOG_DIR
    # None: no policy at all, each action runs at its catalog class (`--policy none`).
    policy_path: Path | None = DEFAULT_POLICY_PATH
    pii_fields: frozenset[str] = field(
        default_factory=lambda: frozenset(
            f.strip() for f in os.environ.get("STEWARD_PII_FIELDS", "email,new_email,phone").split(",") if f.strip()
        )
    )

    policy_sha256: str | None = field(default_factory=lambda: _env("STEWARD_POLICY_SHA256"))
    catalog_sha256: str | None = field(default_factory=lambda: _env("STEWARD_CATALOG_SHA256"))
    require_end_marker: bool = field(default_factory=lambda: env_flag("STEWARD_REQUIRE_END_MARKER"))
    verifier_key: str | None = field(default_factory=lambda: _env("STEWARD_VERIFIER_KEY"))
    witness_dir: Path | None = field(default_factory=lambda: _env_path("STEWARD_WITNESS_DIR"))
    witness_url: str | None = field(default_factory=lambda: _env("STEWARD_WITNESS_URL"))

    @property
    def evidence_dir(self) -> Path:
        """Content-addressed evidence files (screenshots, traces)."""
        return self.home / "evidence"

    @property
    def checkpoint_dir(self) -> Path:
        """Signed checkpoints written outside the database, to ship off-host."""
        return self.home / "checkpoints"

    @property
    def key_dir(self) -> Path:
        """The audit signing key and the PII HMAC key."""
        return self.home / "keys"
