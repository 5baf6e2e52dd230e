"""Owners: targets, actions and policies name who answers for them; catalog check warns when nobody does."""

from __future__ import annotations

from pathlib import Path

import pytest

from action_classes import CatalogError, check_catalog, load_catalog
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH
from policies import PolicyLoadError, load_policy

TARGET = 't: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"]%s}'
ACTION = """\
  %s:
    target: t
    category: x
    class: autonomous
    read_only: true
%s"""


def _catalog(tmp_path: Path, target_extra: str = "", actions: str = "") -> Path:
    folder = tmp_path / "cat"
    folder.mkdir(exist_ok=True)
    (folder / "a.yaml").write_text(f"targets:\n  {TARGET % target_extra}\nactions:\n{actions}")
    return folder


class TestCatalogOwners:
    def test_action_without_owner_warns(self, tmp_path: Path) -> None:
        """Neither the action nor its target names an owner: one warning at the action's line."""
        folder = _catalog(tmp_path, "", ACTION % ("a", ""))
        assert check_catalog(folder) == []  # a warning never stops loading
        [warning] = check_catalog(folder, strict=True)
        assert warning.severity == "warning" and warning.line == 4
        assert "action 'a' has no owner and its target 't' names none" in warning.message

    def test_action_inherits_target_owner(self, tmp_path: Path) -> None:
        """An action without an owner inherits its target's owner and reviewers; no warning."""
        folder = _catalog(tmp_path, ", owner: billing-ops, reviewers: [sam]", ACTION % ("a", ""))
        assert check_catalog(folder, strict=True) == []
        catalog = load_catalog(folder)
        assert catalog.owner_of("a") == "billing-ops" and catalog.reviewers_of("a") == ["sam"]

    def test_action_owner_wins(self, tmp_path: Path) -> None:
        """The action's own owner and reviewers win over its target's."""
        own = "    owner: retention\n    reviewers: [kim, lee]\n"
        folder = _catalog(tmp_path, ", owner: billing-ops", ACTION % ("a", own))
        catalog = load_catalog(folder)
        assert catalog.owner_of("a") == "retention" and catalog.reviewers_of("a") == ["kim", "lee"]
        assert catalog.owners() == ["billing-ops", "retention"]

    @pytest.mark.parametrize("owner", ['""', '"   "', "DRAFT_GAP", "x" * 101])
    def test_bad_owner_is_an_error(self, tmp_path: Path, owner: str) -> None:
        """An empty, overlong or draft-gap owner does not load."""
        folder = _catalog(tmp_path, "", ACTION % ("a", f"    owner: {owner}\n"))
        with pytest.raises(CatalogError, match="owner"):
            load_catalog(folder)

    def test_duplicate_reviewers_are_an_error(self, tmp_path: Path) -> None:
        """A reviewer listed twice is refused."""
        folder = _catalog(tmp_path, "", ACTION % ("a", "    owner: x\n    reviewers: [kim, kim]\n"))
        with pytest.raises(CatalogError, match="reviewers are listed once"):
            load_catalog(folder)

    def test_shipped_catalog_names_every_owner(self) -> None:
        """Every shipped target and action has an owner of its own."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR, env={})
        assert all(t.owner for t in catalog.targets.values())
        assert all(a.owner for a in catalog.actions.values())


class TestPolicyOwner:
    def test_default_policy_names_its_owner(self) -> None:
        """The shipped policy names its owner and reviewers."""
        policy = load_policy(DEFAULT_POLICY_PATH)
        assert policy.owner == "support-automation"
        assert policy.reviewers == ("billing-ops", "fulfilment-ops")

    def test_several_files_join_their_owners(self, tmp_path: Path) -> None:
        """Two files with two owners: the policy names both, each once."""
        (tmp_path / "a.yaml").write_text("owner: team-a\nreviewers: [r1]\nrules: []\n")
        (tmp_path / "b.yaml").write_text("owner: team-b\nreviewers: [r1, r2]\nrules: []\n")
        policy = load_policy([tmp_path / "a.yaml", tmp_path / "b.yaml"])
        assert policy.owner == "team-a, team-b" and policy.reviewers == ("r1", "r2")

    def test_blank_owner_is_refused(self, tmp_path: Path) -> None:
        """A blank owner is a load error with its line."""
        (tmp_path / "a.yaml").write_text("owner: '  '\nrules: []\n")
        with pytest.raises(PolicyLoadError, match="owner"):
            load_policy(tmp_path / "a.yaml")
