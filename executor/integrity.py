"""Load the catalog and the policy the way Settings says, with their integrity guards.

A policy file cut in half can still parse, into fewer rules and no limits,
and a request that the missing rules would have stopped then runs. Two
guards refuse such a file instead of loading it:

- a pinned version (``STEWARD_POLICY_SHA256``, ``STEWARD_CATALOG_SHA256``): the
  sha256 printed by ``steward policy check`` / ``steward catalog check``; any
  other content is refused before it is parsed, naming both hashes;
- an end marker (``STEWARD_REQUIRE_END_MARKER=1``): each file must finish with
  ``end: true``, which a truncated file has lost.

``policy_path = None`` (``--policy none``) is no policy at all: each action
runs at its catalog class.
"""

from __future__ import annotations

from pathlib import Path

from action_classes import Catalog, load_catalog
from executor.config import NO_POLICY, Settings
from policies import Policy, load_policy, no_policy

__all__ = ["NO_POLICY", "load_catalog_for", "load_policy_for", "policy_path_option"]



def policy_path_option(value: str | None, default: Path) -> Path | None:
    """``--policy`` as a path: ``none`` means no policy, nothing means ``default``."""
    if value is None or not value.strip():
        return default
    return None if value.strip().lower() == NO_POLICY else Path(value)


def load_catalog_for(settings: Settings) -> Catalog:
    """The catalog at ``settings.catalog_dir``; CatalogError when it fails a guard or does not load."""
    return load_catalog(
        settings.catalog_dir, pin=settings.catalog_sha256, require_end_marker=settings.require_end_marker
    )


def load_policy_for(settings: Settings, catalog: Catalog) -> Policy:
    """The policy at ``settings.policy_path`` checked against ``catalog``; PolicyLoadError otherwise.

    With no policy file, the pin (if any) must be the version of no bytes, so a
    pinned deployment cannot silently lose its policy either.
    """
    if settings.policy_path is None:
        policy = no_policy()
        if settings.policy_sha256 is not None:
            # Reuse the loader's one-line message naming both hashes.
            from policies import PolicyLoadError, PolicyProblem

            wanted = settings.policy_sha256.strip().lower()
            if wanted != policy.version:
                raise PolicyLoadError([PolicyProblem(
                    "--policy none", 0,
                    f"policy version {policy.version} (no policy) is not the pinned {wanted}: refusing to run "
                    "without the pinned policy",
                )])
        return policy
    return load_policy(
        settings.policy_path, catalog, pin=settings.policy_sha256, require_end_marker=settings.require_end_marker
    )
