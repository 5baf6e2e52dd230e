"""The catalog format's additions for real staff UIs, as models: parsing, rendering and their errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from action_classes import (
    Action,
    Comparison,
    ExtractSpec,
    Locator,
    NumberCheck,
    ParamsInvalid,
    ParamSpec,
    Step,
    Target,
    TemplateError,
    check_catalog,
    load_catalog,
    parse_number,
    render_step,
    request_ref,
    validate_params,
)
from action_classes.numbers import evaluate, expression_refs

TARGET = {"base_url": "http://127.0.0.1:9000", "allowed_origins": ["http://127.0.0.1:9000"]}
ACTION: dict[str, Any] = {
    "target": "t",
    "category": "x",
    "class": "autonomous",
    "params": {"amount_cents": {"type": "integer"}},
    "commit": {"click": {"role": "button", "name": "Go", "exact": True}},
    "verify": [{"goto": "/x"}, {"expect": {"test_id": "row", "count": 1}}],
}


def _catalog(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "c.yaml").write_text(text)
    return folder


class TestSessionCheck:
    def test_a_list_of_any_steps(self) -> None:
        """session_check takes steps of any kind, in order."""
        target = Target.model_validate(
            {
                **TARGET,
                "session_check": [
                    {"goto": "/home"},
                    {"click": {"role": "tab", "name": "Profile"}},
                    {"expect": {"role": "link", "name": "Sign out"}},
                ],
            }
        )
        assert [s.kind for s in target.session_check or []] == ["goto", "click", "expect"]

    def test_the_older_mapping_still_loads(self) -> None:
        """{goto, expect} becomes the same two steps (goto defaults to /)."""
        target = Target.model_validate({**TARGET, "session_check": {"expect": {"role": "link", "name": "Out"}}})
        steps = target.session_check or []
        assert [s.kind for s in steps] == ["goto", "expect"] and steps[0].goto == "/"

    def test_it_starts_with_a_goto(self) -> None:
        """A check that would run on a blank page is refused."""
        with pytest.raises(ValidationError, match="must start with a goto"):
            Target.model_validate({**TARGET, "session_check": [{"expect": {"text": "Hi"}}]})


class TestSelect:
    @pytest.mark.parametrize(
        ("spec", "choice"),
        [
            ({"label": "Carrier", "option": {"label": "UPS"}}, ("label", "UPS")),
            ({"label": "Carrier", "option": {"value": "ups"}}, ("value", "ups")),
            ({"label": "Carrier", "option": {"index": 2}}, ("index", 2)),
            ({"label": "Carrier", "value": "UPS"}, ("label", "UPS")),
        ],
    )
    def test_explicit_choice(self, spec: dict[str, Any], choice: tuple[str, Any]) -> None:
        """An option is chosen by label, value or index; the older value: form means the label."""
        step = Step.model_validate({"select": spec})
        assert step.select is not None and step.select.choice() == choice
        assert step.select.locator.label == "Carrier"

    @pytest.mark.parametrize(
        "spec",
        [
            {"label": "Carrier"},
            {"label": "Carrier", "value": "UPS", "option": {"label": "UPS"}},
            {"label": "Carrier", "option": {"label": "UPS", "value": "ups"}},
            {"label": "Carrier", "option": {"index": -1}},
        ],
    )
    def test_exactly_one_choice(self, spec: dict[str, Any]) -> None:
        """No choice, two choices, or a negative index are refused."""
        with pytest.raises(ValidationError):
            Step.model_validate({"select": spec})


class TestLocatorOptions:
    def test_role_options(self) -> None:
        """level, checked, pressed, expanded, selected and include_hidden go with a role."""
        loc = Locator(role="heading", name="Orders", level=2, include_hidden=True)
        assert loc.role_options() == {"level": 2, "include_hidden": True}
        assert loc.describe() == 'heading "Orders" level=2 include_hidden=true'

    def test_role_options_need_a_role(self) -> None:
        """An ARIA option without a role is an error, not silently ignored."""
        with pytest.raises(ValidationError, match="only with 'role'"):
            Locator(label="Paper", checked=True)

    def test_nth_minus_one_is_the_last(self) -> None:
        """nth accepts -1 (the last match) and nothing below it."""
        assert Locator(test_id="row", nth=-1).nth == -1
        with pytest.raises(ValidationError):
            Locator(test_id="row", nth=-2)


class TestNumbers:
    @pytest.mark.parametrize(
        ("text", "number"),
        [("$1,234.50", "1234.50"), (" -$5 ", "-5"), ("€0.10", "0.10"), ("42", "42"), (".5", "0.5")],
    )
    def test_page_text_to_number(self, text: str, number: str) -> None:
        """Thousands separators and one currency sign are dropped; the rest must be a number."""
        assert parse_number(text) == Decimal(number)

    @pytest.mark.parametrize("text", ["", "twelve", "5 + 100", "1.2.3", "$"])
    def test_not_a_number(self, text: str) -> None:
        """Anything else is refused with the text quoted."""
        with pytest.raises(TemplateError, match="is not a number"):
            parse_number(text)

    def test_arithmetic_is_decimal_over_placeholders(self) -> None:
        """+ and - over literals and placeholders, each value parsed on its own, exact decimals."""
        values = {"extracted": {"before": "$1,234.50", "n": "3"}, "params": {"amount_cents": 1510}}
        assert evaluate("{extracted.before} + {params.amount_cents|dollars}", values) == Decimal("1249.60")
        assert evaluate("{extracted.n} + 1", values) == Decimal(4)
        assert evaluate("-{extracted.n} - 0.10 + 0.20", values) == Decimal("-2.90")
        assert [repr(r) for r in expression_refs("{extracted.n} + {params.amount_cents|dollars}")] == [
            "{extracted.n}",
            "{params.amount_cents|dollars}",
        ]

    def test_a_page_value_cannot_change_the_sum(self) -> None:
        """A value that looks like an expression is refused, never evaluated."""
        with pytest.raises(TemplateError, match="is not a number"):
            evaluate("{extracted.before} + 1", {"extracted": {"before": "5 + 100"}})

    @pytest.mark.parametrize(
        ("expression", "message"),
        [
            ("1 * 2", "unexpected '\\*'.*only numbers, placeholders"),
            ("__import__('os')", "unexpected '_'.*only numbers, placeholders"),
            ("1 +", "ends with an operator"),
            ("1 2", "is missing between two terms"),
            ("+ 1", "misplaced"),
            ("{extracted.x", "only numbers, placeholders"),
            ("{nope.x}", "bad placeholder"),
        ],
    )
    def test_bad_expressions(self, expression: str, message: str) -> None:
        """Every syntax error says what is wrong."""
        with pytest.raises(TemplateError, match=message):
            list(expression_refs(expression))

    def test_missing_value(self) -> None:
        """A placeholder without a value names itself."""
        with pytest.raises(TemplateError, match=r"\{extracted.before\} has no value"):
            evaluate("{extracted.before} + 1", {"extracted": {}})

    def test_comparisons_report_each_failure(self) -> None:
        """Every comparison that does not hold is named with its expected value."""
        check = Comparison(gte="2", lt="5", eq="3")
        assert check.failures(Decimal(3)) == []
        assert check.failures(Decimal(5)) == ["expected = 3, got 5", "expected < 5, got 5"]
        with pytest.raises(ValidationError, match="at least one of"):
            Comparison()

    def test_number_check_reads_through_its_pattern(self) -> None:
        """The pattern's first group is the number."""
        assert NumberCheck(pattern=r"Total: (.+)", eq="1").read("Total:  $1,234.50") == Decimal("1234.50")
        with pytest.raises(TemplateError, match="does not match"):
            NumberCheck(pattern=r"Sum: (.+)", eq="1").read("Total: 5")


class TestRendering:
    def test_comparisons_render_to_numbers(self) -> None:
        """Expressions are evaluated at render time; the step to perform holds plain numbers."""
        step = Step.model_validate(
            {"expect": {"test_id": "balance", "number": {"eq": "{extracted.before} + {params.a|dollars}"}}}
        )
        rendered = render_step(step, {"extracted": {"before": "$10.00"}, "params": {"a": 250}})
        assert rendered.expect is not None and rendered.expect.number is not None
        assert rendered.expect.number.eq == "12.50"

    def test_one_of_items_are_templated(self) -> None:
        """Each one_of entry may carry placeholders."""
        step = Step.model_validate({"expect": {"test_id": "s", "one_of": ["{params.a}", "Closed"]}})
        rendered = render_step(step, {"params": {"a": "Open"}})
        assert rendered.expect is not None and rendered.expect.one_of == ["Open", "Closed"]

    def test_extracted_paths_keep_slashes(self) -> None:
        """An extracted path keeps its slashes; each segment is encoded (without double encoding)."""
        step = Step(goto="{extracted.path}")
        values = {"extracted": {"path": "/admin/shop/order/5/caf%C3%A9 x/"}}
        assert render_step(step, values).goto == "/admin/shop/order/5/caf%C3%A9%20x/"

    def test_parameters_stay_one_segment(self) -> None:
        """A parameter in a goto is still one segment: its slashes are encoded."""
        assert render_step(Step(goto="/a/{params.p}"), {"params": {"p": "x/../y"}}).goto == "/a/x%2F..%2Fy"

    @pytest.mark.parametrize(
        ("value", "why"),
        [
            ("http://127.0.0.2:9/x", "starts with a scheme"),
            ("javascript:alert(1)", "starts with a scheme"),
            ("//evil.example/x", "contains '//'"),
            ("/a//b", "contains '//'"),
            ("/a/../admin", "'.' or '..' segment"),
            ("/a/%2e%2E/admin", "'.' or '..' segment"),
            ("/a\\b", "backslash"),
            ("/a?next=/x", "query or fragment"),
            ("", "is empty"),
        ],
    )
    def test_extracted_paths_that_could_leave_are_refused(self, value: str, why: str) -> None:
        """Another origin, a scheme, //, .., a backslash or a query are refused with the reason."""
        with pytest.raises(TemplateError, match=why):
            render_step(Step(goto="{extracted.path}"), {"extracted": {"path": value}})

    def test_request_ref(self) -> None:
        """{request.ref} is S- and 10 base32 characters, the same for the same id, different for another."""
        ref = request_ref("req_0001")
        assert ref == request_ref("req_0001") != request_ref("req_0002")
        assert len(ref) == 12 and ref.startswith("S-") and ref[2:].isalnum() and ref[2:].isupper()
        rendered = render_step(Step(fill={"label": "Note", "value": "Ref {request.ref}"}), {"request": {"ref": ref}})
        assert rendered.fill is not None and rendered.fill.value == f"Ref {ref}"


class TestExtracts:
    def test_url_and_count(self) -> None:
        """url: true needs no locator; count: true needs one and no attribute."""
        assert ExtractSpec.model_validate({"url": True, "pattern": "/(\\d+)/"}).locator is None
        assert ExtractSpec.model_validate({"test_id": "row", "count": True}).count
        for bad in ({"url": True, "test_id": "x"}, {"test_id": "row", "count": True, "attribute": "id"}, {}):
            with pytest.raises(ValidationError):
                ExtractSpec.model_validate(bad)

    def test_count_assertion_stands_alone(self) -> None:
        """count counts matches; a text assertion beside it is an error."""
        with pytest.raises(ValidationError, match="cannot be combined with text"):
            Step.model_validate({"expect": {"test_id": "row", "count": 1, "text": "x"}})


class TestAfterCommit:
    def test_steps_and_the_older_mapping(self) -> None:
        """after_commit takes expect/extract/wait_for steps; a name->extract mapping still loads."""
        steps = [{"expect": {"role": "alert", "count": 0}}, {"extract": {"name": "u", "url": True}}]
        action = Action.model_validate({**ACTION, "after_commit": steps})
        assert [s.kind for s in action.after_commit] == ["expect", "extract"] and action.after_commit_names() == ["u"]
        older = Action.model_validate({**ACTION, "after_commit": {"credit_id": {"test_id": "flash"}}})
        assert older.after_commit_names() == ["credit_id"]

    def test_only_reading_steps(self) -> None:
        """A click after the commit would be a second change: refused."""
        with pytest.raises(ValidationError, match="after_commit takes only"):
            Action.model_validate({**ACTION, "after_commit": [{"click": {"role": "button", "name": "More"}}]})


class TestParamLength:
    def test_long_text_when_asked(self) -> None:
        """maxLength may go up to 65,536; the 4,096 cap stays when it is unset."""
        long_spec = {"note": ParamSpec(type="string", maxLength=65_536)}
        assert validate_params(long_spec, {"note": "x" * 65_536})
        with pytest.raises(ParamsInvalid, match="at most 65536"):
            validate_params(long_spec, {"note": "x" * 65_537})
        with pytest.raises(ParamsInvalid, match="at most 4096"):
            validate_params({"note": ParamSpec(type="string")}, {"note": "x" * 4_097})
        with pytest.raises(ValidationError):
            ParamSpec(type="string", maxLength=65_537)


class TestCatalogChecks:
    def test_placeholders_in_expressions_are_checked(self, tmp_path: Path) -> None:
        """Unknown values inside comparison expressions are problems with their line."""
        text = """\
targets:
  t: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"]}
actions:
  a:
    target: t
    category: x
    class: autonomous
    commit: {click: {role: button, name: Go, exact: true}}
    verify:
      - goto: /x
      - expect: {test_id: b, number: {eq: "{extracted.before} + {params.nope}"}}
      - expect: {test_id: c, count: {gte: "{request.nope}"}}
"""
        problems = [(p.line, p.message) for p in check_catalog(_catalog(tmp_path / "c", text))]
        assert (11, "{extracted.before}: no extracted value named 'before'") in problems
        assert (11, "{params.nope}: no parameter named 'nope'") in problems
        assert (12, "{request.nope}: no request field named 'nope'") in problems

    def test_shipped_catalog_uses_the_new_forms(self) -> None:
        """The shipped catalog's session check is a step list and issue_credit checks the page after its commit."""
        catalog = load_catalog(Path(__file__).parents[2] / "action_classes" / "catalog", env={})
        assert [s.kind for s in catalog.targets["billing_console"].session_check or []] == ["goto", "expect"]
        credit = catalog.actions["issue_credit"]
        assert [s.kind for s in credit.after_commit] == ["expect", "extract"]
        assert credit.after_commit_names() == ["credit_id"]

    def test_draft_gap_never_loads(self, tmp_path: Path) -> None:
        """DRAFT_GAP in verification or any step is a problem naming what to fill in."""
        text = """\
targets:
  t: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"]}
actions:
  a:
    target: t
    category: x
    class: autonomous
    preconditions:
      - goto: DRAFT_GAP
    commit: {click: {role: button, name: Go, exact: true}}
    verify:
      - goto: DRAFT_GAP
      - expect: DRAFT_GAP
"""
        problems = {p.line: p.message for p in check_catalog(_catalog(tmp_path / "g", text))}
        assert "draft gap: fill in this goto step" in problems[9]
        assert "draft gap: fill in verification" in problems[11]
