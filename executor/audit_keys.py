"""Which key verifies the audit log's checkpoints, and a verdict that fails closed without one.

Every verification (``steward audit verify``, ``GET /v1/audit/verify``, the
console, the demo) finds the key the same way: ``--key`` when given, else
``STEWARD_VERIFIER_KEY`` (a file, or a key string ``name+keyid+base64``),
else ``keys/audit.pub`` under the home folder. The report names the key (its
name, key id and where it came from).

Without a usable key the signatures cannot be checked, and a log that holds
signed checkpoints is then *not* reported intact: a forged checkpoint would
otherwise pass as well as a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import AuditError, Verifier, VerifyReport, load_verifier
from executor.config import Settings

__all__ = ["VerifierKey", "find_verifier", "judge"]


@dataclass(frozen=True)
class VerifierKey:
    """The verifier key found for a verification, or why there is none."""

    verifier: Verifier | None
    source: str  # "--key", "STEWARD_VERIFIER_KEY", "keys/audit.pub" or "none"
    path: str | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """What a report shows about the key (never more than the public key)."""
        v = self.verifier
        return {
            "name": v.name if v else None,
            "key_id": f"{v.key_id:08x}" if v else None,
            "key": v.key_string if v else None,
            "source": self.source,
            "path": self.path,
            "error": self.error,
        }

    def describe(self) -> str:
        """One line for people."""
        if self.verifier is not None:
            where = f" from {self.path}" if self.path else f" ({self.source})"
            return f"verifier key {self.verifier.name}+{self.verifier.key_id:08x}{where}"
        return f"no verifier key ({self.error})" if self.error else "no verifier key"


def _load(text: str, source: str) -> VerifierKey:
    path = text if Path(text).expanduser().is_file() else None
    try:
        return VerifierKey(load_verifier(Path(path).expanduser() if path else text), source, path=path)
    except AuditError as exc:
        return VerifierKey(None, source, path=path, error=f"{source} cannot be used: {exc}")


def find_verifier(settings: Settings, explicit: str | None = None) -> VerifierKey:
    """The key that verifies checkpoints (see the module docstring for the order)."""
    if explicit:
        return _load(explicit, "--key")
    if settings.verifier_key:
        return _load(settings.verifier_key, "STEWARD_VERIFIER_KEY")
    default = settings.key_dir / "audit.pub"
    if default.is_file():
        return _load(str(default), "keys/audit.pub")
    return VerifierKey(None, "none", error=f"none configured (STEWARD_VERIFIER_KEY) and no {default}")


def judge(report: VerifyReport, key: VerifierKey) -> VerifyReport:
    """``report``, failed when it holds signed checkpoints the key could not check (fail closed)."""
    problems: list[str] = []
    if key.error and key.source != "none":
        problems.append(f"signatures NOT checked: {key.error}")
    elif key.verifier is None and (report.checkpoints or report.latest_checkpoint or report.first_bad_checkpoint):
        problems.append(
            f"signatures NOT checked: the log has {report.checkpoints} signed checkpoint(s) and there is no "
            "verifier key (set STEWARD_VERIFIER_KEY or --key, or keep keys/audit.pub); a forged checkpoint "
            "would pass unseen, so the log is not reported intact"
        )
    if not problems:
        return report
    return report.model_copy(update={"ok": False, "problems": [*problems, *report.problems]})
