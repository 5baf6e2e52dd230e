"""Fixtures for the policy tests: the shipped catalog and policy, files on disk."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from action_classes import Catalog, load_catalog
from policies import Policy, load_policy
from tests.policies.policy_helpers import CATALOG_DIR, DEFAULT_POLICY


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped billing-console catalog."""
    return load_catalog(CATALOG_DIR)


@pytest.fixture(scope="session")
def default_policy(catalog: Catalog) -> Policy:
    """The shipped default policy, checked against the shipped catalog."""
    return load_policy(DEFAULT_POLICY, catalog)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a file in tmp_path and return its path."""

    def _write(text: str, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
