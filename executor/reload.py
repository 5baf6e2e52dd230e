"""Change control without restarts: a running server or worker picks up a new catalog or policy version.

``Reloader.maybe()`` is cheap and called often (each submit, each worker
sweep); at most every ``every_s`` (2 s) it reads what decides:

- the catalog files and the policy file (their bytes, hashed: an edit in place
  is seen even when the mtime does not move);
- the rollout rows in the database (``executor.rollout``): the promoted active
  policy, which replaces the policy file once something was promoted, and the
  candidate in shadow or canary.

When any of it changed, everything is loaded again, with the process's
integrity guards (pins, end marker). Only a complete, valid set is installed;
each new version is audited as at start-up (``catalog.loaded``,
``policy.loaded``). A catalog or policy that does not load leaves the previous
set active, and is logged and audited once per bad content
(``catalog.load_failed``, ``policy.load_failed``). Nothing ever falls open.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from action_classes import Catalog, CatalogError, load_catalog
from executor.integrity import load_policy_for
from executor.rollout import ACTIVE, CANDIDATE, Policies, StoredPolicy, load_stored, read_slots
from policies import Policy, PolicyLoadError

if TYPE_CHECKING:
    from executor.service import Steward

__all__ = ["Reloader"]

log = structlog.get_logger("steward.reload")


def _bytes_hash(path: Path | None) -> str:
    """sha256 over the names and bytes of a file or a folder's *.yaml/*.yml ('' when absent or unreadable)."""
    if path is None:
        return "none"
    digest = hashlib.sha256()
    try:
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()) \
            if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    except OSError:
        return ""
    return digest.hexdigest()


class _LoadFailed(Exception):
    def __init__(self, kind: str, problems: list[str], version: str | None) -> None:
        super().__init__(kind)
        self.kind, self.problems, self.version = kind, problems, version


class Reloader:
    """Keeps a Steward's catalog and policies current; see the module docstring.

    A catalog or policy handed to the Steward (not read from its file) is not watched: it stays, while a
    promoted policy and a candidate in the database still apply.
    """

    def __init__(self, steward: Steward, *, catalog_file: bool = True, policy_file: bool = True,
                 every_s: float = 2.0) -> None:
        self.steward = steward
        self.every_s = every_s
        self.catalog_file, self.policy_file = catalog_file, policy_file
        self._lock = threading.Lock()
        self._last_check = 0.0
        # What the Steward loaded at start: the base policy decides while nothing is promoted.
        self._base = steward.policy
        self._catalog_fp, self._policy_fp = self._file_prints()
        self._seen: tuple[Any, ...] | None = None
        self._reported: tuple[Any, ...] | None = None

    def _file_prints(self) -> tuple[str, str]:
        settings = self.steward.settings
        return (_bytes_hash(settings.catalog_dir) if self.catalog_file else "",
                _bytes_hash(settings.policy_path) if self.policy_file else "")

    def maybe(self) -> bool:
        """``check()`` when the last one is older than ``every_s``; True when a new set was installed."""
        if time.monotonic() - self._last_check < self.every_s:
            return False
        return self.check()

    def check(self, *, strict: bool = False) -> bool:
        """Read the sources now; install a changed set. ``strict`` (start-up): FailClosed instead of keeping."""
        with self._lock:
            self._last_check = time.monotonic()
            prints = self._file_prints()
            slots = read_slots(self.steward.engine)
            seen = (*prints, tuple(sorted((s.slot, s.sha256, s.mode, s.percent) for s in slots.values())))
            if seen == self._seen:
                return False
            try:
                catalog, base, policies = self._load(prints, slots)
            except _LoadFailed as failed:
                if strict:
                    from executor.errors import FailClosed

                    raise FailClosed(f"the {failed.kind} stored as active does not load, nothing starts: "
                                     + "; ".join(failed.problems[:3])) from failed
                self._seen = seen  # the same bad content is not reloaded (nor reported) every 2 s
                if seen != self._reported:
                    self._reported = seen
                    self._report(failed)
                return False
            self._seen, self._reported = seen, None
            self._catalog_fp, self._policy_fp, self._base = *prints, base
            return self.steward.install(catalog, policies)

    def _load(self, prints: tuple[str, str], slots: dict[str, StoredPolicy]) -> tuple[Catalog, Policy, Policies]:
        steward, settings = self.steward, self.steward.settings
        catalog = steward.catalog
        if self.catalog_file and prints[0] != self._catalog_fp:
            try:
                catalog = load_catalog(settings.catalog_dir, pin=settings.catalog_sha256,
                                       require_end_marker=settings.require_end_marker)
            except CatalogError as exc:
                raise _LoadFailed("catalog", [str(p) for p in exc.problems], None) from exc
            if catalog.version == steward.catalog.version:
                catalog = steward.catalog  # the same content: keep the object (and its warm caches)
        base = self._base
        active_row, candidate_row = slots.get(ACTIVE), slots.get(CANDIDATE)
        try:
            if self.policy_file and (prints[1] != self._policy_fp or catalog is not steward.catalog):
                base = load_policy_for(settings, catalog)
            active = base
            if active_row is not None:  # promoted: the database's version replaces the file
                active = load_stored(active_row, catalog, pin=settings.policy_sha256,
                                     require_end_marker=settings.require_end_marker)
        except PolicyLoadError as exc:
            raise _LoadFailed("policy", [str(p) for p in exc.problems],
                              active_row.sha256 if active_row else None) from exc
        if candidate_row is None:
            return catalog, base, Policies(active)
        try:
            candidate = load_stored(candidate_row, catalog, require_end_marker=settings.require_end_marker)
        except PolicyLoadError as exc:
            raise _LoadFailed("policy", [f"candidate: {p}" for p in exc.problems], candidate_row.sha256) from exc
        return catalog, base, Policies(active, candidate, candidate_row.mode, candidate_row.percent, candidate_row)

    def _report(self, failed: _LoadFailed) -> None:
        steward = self.steward
        kept = steward.catalog.version if failed.kind == "catalog" else steward.policy.version
        log.error(f"{failed.kind}.load_failed", kept=kept, problems=failed.problems[:5])
        payload = {"kept": kept, "version": failed.version, "problems": failed.problems[:20],
                   "by": steward.loaded_by}
        try:
            steward.store.record(None, [(f"{failed.kind}.load_failed", payload)], f"system:{steward.loaded_by}")
        except Exception as exc:  # the previous version stays active either way
            log.error("reload.audit_failed", error=str(exc)[:300])
