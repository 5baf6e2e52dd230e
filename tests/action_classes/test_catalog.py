"""Catalog loading and checking: the shipped catalog, and every kind of problem with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

import action_classes
from action_classes import (
    ActionClass,
    CatalogError,
    ExpectSpec,
    Locator,
    Step,
    UnknownActionError,
    check_catalog,
    load_catalog,
    strictest,
)
from executor.config import DEFAULT_CATALOG_DIR

BAD_TARGETS = """\
targets:
  t1:
    base_url: http://127.0.0.1:9000
    allowed_origins: [http://127.0.0.1:9001]
actions:
  a2:
    target: t2
    category: x
    class: sometimes
    params:
      x: {type: string, pattern: "("}
    steps:
      - fill: {label: A}
      - hover: {label: B}
    commit: {click: {role: button, name: Go}}
    verify:
      - goto: /x
      - expect: {text: ok}
extra_key: {}
"""

BAD_REFS = """\
targets:
  t2:
    base_url: http://127.0.0.1:9000
    allowed_origins: [http://127.0.0.1:9000]
actions:
  a3:
    target: t2
    category: x
    class: autonomous
    params: {x: {type: string}}
    steps:
      - click: {css: "#{params.x}"}
      - fill: {label: A, value: "{params.zz}"}
      - goto: http://evil.example/
    commit: {click: {role: button, name: Go}}
    verify:
      - goto: /x/{params.x}
      - expect: {text: "{extracted.nope}"}
"""


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


class TestShippedCatalog:
    def test_loads_both_targets_and_their_actions(self) -> None:
        """The shipped catalog loads the billing console's five actions and the orders admin's six."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR, env={})
        assert set(catalog.targets) == {"billing_console", "orders_admin"}
        by_target = {t: {n for n, a in catalog.actions.items() if a.target == t} for t in catalog.targets}
        assert by_target == {
            "billing_console": {
                "lookup_account", "issue_credit", "reverse_credit", "update_contact_email", "cancel_subscription",
            },
            "orders_admin": {
                "lookup_order", "refund_order", "change_shipping_address", "cancel_order", "add_internal_note",
                "create_shipment",
            },
        }
        readers = {n for n, a in catalog.actions.items() if a.read_only}
        assert readers == {"lookup_account", "lookup_order"}
        assert all(a.commit is not None for n, a in catalog.actions.items() if n not in readers)
        assert len(catalog.version) == 64

    def test_env_points_target_elsewhere(self) -> None:
        """BILLING_URL and ORDERS_URL move each target's base_url and allowed_origins together."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR, env={"BILLING_URL": "http://127.0.0.1:5555"})
        target = catalog.targets["billing_console"]
        assert target.base_url == "http://127.0.0.1:5555"
        assert target.allowed_origins == ["http://127.0.0.1:5555"]
        orders = load_catalog(DEFAULT_CATALOG_DIR, env={"ORDERS_URL": "http://127.0.0.1:5556"}).targets["orders_admin"]
        assert (orders.base_url, orders.allowed_origins) == ("http://127.0.0.1:5556", ["http://127.0.0.1:5556"])

    def test_unknown_action_is_denied(self) -> None:
        """An action without a catalog entry is unknown (deny by default)."""
        with pytest.raises(UnknownActionError):
            load_catalog(DEFAULT_CATALOG_DIR, env={}).action("drop_database")


class TestCatalogProblems:
    def test_every_problem_has_file_and_line(self, tmp_path: Path) -> None:
        """Model errors, unknown keys and bad origins are all reported with their lines."""
        folder = _write(tmp_path / "cat", a=BAD_TARGETS)
        problems = {(p.line, p.message.split(":")[0]) for p in check_catalog(folder)}
        lines = {line for line, _ in problems}
        assert 2 in lines  # t1: base_url origin not allowed
        assert 9 in lines  # class: sometimes
        assert 11 in lines  # bad regex
        assert 13 in lines  # fill without value
        assert 14 in lines  # unknown step kind
        assert 19 in lines  # unknown top-level key
        assert all(p.file.endswith("a.yaml") for p in check_catalog(folder))

    def test_cross_references(self, tmp_path: Path) -> None:
        """Templated selectors, unknown params and extracts, and foreign origins are refused."""
        folder = _write(tmp_path / "cat", b=BAD_REFS)
        messages = {p.line: p.message for p in check_catalog(folder)}
        assert "not allowed in 'css'" in messages[12]
        assert "no parameter named 'zz'" in messages[13]
        assert "allowed origins" in messages[14]
        assert "no extracted value named 'nope'" in messages[18]

    def test_unknown_target_across_files(self, tmp_path: Path) -> None:
        """An action naming a target defined nowhere is a problem at the action's line."""
        folder = _write(
            tmp_path / "cat",
            a=BAD_REFS.replace("target: t2", "target: t9").split("targets:")[0]
            + "actions:"
            + BAD_REFS.split("actions:")[1].replace("target: t2", "target: t9"),
        )
        problems = check_catalog(folder)
        assert any("unknown target 't9'" in p.message for p in problems)

    def test_duplicate_definitions(self, tmp_path: Path) -> None:
        """The same action in two files names the first definition."""
        folder = _write(
            tmp_path / "cat", b=BAD_REFS, c=BAD_REFS.replace("t2:", "t3:").replace("target: t2", "target: t3")
        )
        assert any("already defined at" in p.message for p in check_catalog(folder))

    def test_load_raises_with_all_problems(self, tmp_path: Path) -> None:
        """load_catalog raises CatalogError carrying every problem."""
        folder = _write(tmp_path / "cat", a=BAD_TARGETS)
        with pytest.raises(CatalogError) as info:
            load_catalog(folder)
        assert len(info.value.problems) >= 6

    def test_yaml_syntax_error_line(self, tmp_path: Path) -> None:
        """A YAML syntax error is reported with its line."""
        folder = _write(tmp_path / "cat", a="actions:\n  x: [1, 2\n  y: 3\n")
        (problem,) = check_catalog(folder)
        assert problem.line >= 2 and "YAML" in problem.message

    def test_missing_env_without_default(self, tmp_path: Path) -> None:
        """${VAR} without a default and without a value is a load error, not an empty URL."""
        folder = _write(tmp_path / "cat", b=BAD_REFS.replace("http://127.0.0.1:9000", '"${NOPE_URL}"'))
        assert any("NOPE_URL" in p.message for p in check_catalog(folder, env={}))

    def test_credentials_must_come_from_env(self, tmp_path: Path) -> None:
        """A literal password in YAML is refused."""
        text = BAD_REFS.replace(
            "allowed_origins: [http://127.0.0.1:9000]",
            "allowed_origins: [http://127.0.0.1:9000]\n    credentials: {password: hunter2}",
        )
        folder = _write(tmp_path / "cat", b=text)
        assert any("env:VARIABLE" in p.message for p in check_catalog(folder))


class TestModels:
    def test_locator_needs_exactly_one_strategy(self) -> None:
        """Zero or two strategies are refused; name needs role."""
        with pytest.raises(ValueError):
            Locator()
        with pytest.raises(ValueError):
            Locator(css="a", test_id="b")
        with pytest.raises(ValueError):
            Locator(label="x", name="y")
        assert Locator(role="button", name="Go").describe() == 'button "Go"'

    def test_expect_text_is_assertion_beside_a_locator(self) -> None:
        """In expect, text is the expected text when another strategy is present."""
        spec = ExpectSpec.model_validate({"test_id": "status", "text": "Active"})
        assert spec.locator.test_id == "status" and spec.text == "Active"
        alone = ExpectSpec.model_validate({"text": "Welcome"})
        assert alone.locator.text == "Welcome" and alone.text is None

    def test_step_has_one_kind(self) -> None:
        """A step with two kinds is refused."""
        with pytest.raises(ValueError):
            Step.model_validate({"goto": "/a", "click": {"css": "a"}})
        assert Step.model_validate({"goto": "/a"}).kind == "goto"

    def test_strictness_order(self) -> None:
        """forbidden > human_approved > customer_confirmed > autonomous."""
        order = [
            ActionClass.AUTONOMOUS,
            ActionClass.CUSTOMER_CONFIRMED,
            ActionClass.HUMAN_APPROVED,
            ActionClass.FORBIDDEN,
        ]
        assert sorted(order, key=lambda c: c.rank) == order
        assert strictest([ActionClass.AUTONOMOUS, ActionClass.FORBIDDEN]) is ActionClass.FORBIDDEN
        assert ActionClass.HUMAN_APPROVED.stricter_than(ActionClass.CUSTOMER_CONFIRMED)


def test_public_names_are_pinned() -> None:
    """The package's public surface changes only on purpose."""
    assert sorted(action_classes.__all__) == sorted(
        [
            "DESTRUCTIVE_WORDS",
            "DRAFT_GAP",
            "STEP_KINDS",
            "ActSpec",
            "Action",
            "ActionClass",
            "ActionClassesError",
            "Catalog",
            "CatalogError",
            "CatalogProblem",
            "Comparison",
            "Compensation",
            "DraftError",
            "ExpectSpec",
            "ExtractSpec",
            "FillSpec",
            "Locator",
            "NumberCheck",
            "OptionSpec",
            "ParamSpec",
            "ParamsInvalid",
            "PressSpec",
            "RetrySpec",
            "SelectSpec",
            "SessionCheck",
            "Step",
            "Target",
            "TemplateError",
            "UnknownActionError",
            "WaitForSpec",
            "check_catalog",
            "check_compensation",
            "coerce_text_params",
            "draft_catalog",
            "load_catalog",
            "normalize_origin",
            "origin_of",
            "parse_number",
            "render",
            "render_compensation",
            "render_step",
            "request_ref",
            "strictest",
            "validate_params",
        ]
    )
