"""Policy test cases: YAML requests with the class each must get.

A case file looks like::

    cases:
      - name: small credit runs on its own
        request:
          action: issue_credit
          params: {account_id: ACC-000001, amount_cents: 2500, reason: goodwill}
          context: {account_tier: standard, agent_confidence: 0.9}
          requester: agent-1            # optional, default policy-test
          usage: {credit-budget: 0}     # optional; absent means limits unchecked
        expect:
          class: autonomous
          rules: [small-credits-autonomous]   # optional: exactly the matching rule ids
          exceeded: []                        # optional: exactly the exceeded limit ids

``expect: {error: true}`` instead of a class asserts that evaluation fails
(the request would be rejected). Parameters are validated against the
catalog like real intake does; a case with invalid parameters fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from action_classes import ActionClass, ActionClassesError, Catalog, validate_params
from policies._yaml import line_of, parse, validation_problems
from policies.decision import Decision, PolicyInput
from policies.engine import Policy
from policies.errors import CaseFileError, PolicyEvaluationError, PolicyProblem

__all__ = ["Case", "CaseReport", "CaseResult", "load_cases", "run_cases"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CaseRequest(_Model):
    """The request a case submits."""

    action: str = Field(description="Catalog action name.")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters (validated).")
    context: dict[str, Any] = Field(default_factory=dict, description="Free-form context.")
    requester: str = Field(default="policy-test", min_length=1, description="Who submits.")
    usage: dict[str, float] | None = Field(
        default=None, description="Consumption per limit id; absent means limits are unchecked."
    )


class CaseExpect(_Model):
    """What the decision must be."""

    action_class: ActionClass | None = Field(
        default=None,
        validation_alias="class",
        serialization_alias="class",
        description="Expected class.",
    )
    rules: list[str] | None = Field(
        default=None, description="Exactly these rule ids match (any order)."
    )
    exceeded: list[str] | None = Field(
        default=None, description="Exactly these limit ids are exceeded."
    )
    error: bool = Field(default=False, description="Evaluation must fail (request rejected).")

    @model_validator(mode="after")
    def _one_outcome(self) -> CaseExpect:
        if self.error == (self.action_class is not None):
            raise ValueError("give either 'class' or 'error: true'")
        return self


class Case(_Model):
    """One named request and its expected outcome."""

    name: str = Field(min_length=1, description="Unique name, printed in the report.")
    request: CaseRequest
    expect: CaseExpect


class _CaseFile(_Model):
    cases: list[Case] = Field(min_length=1, description="The cases, run in order.")


@dataclass(frozen=True)
class CaseResult:
    """How one case went."""

    name: str
    file: str
    line: int
    passed: bool
    message: str
    decision: Decision | None = None


@dataclass(frozen=True)
class CaseReport:
    """Every case's result, in file order.

    ``missing`` maps each rule or limit id the cases name (in ``expect.rules``,
    ``expect.exceeded`` or ``request.usage``) that the policy lacks to the
    cases naming it: a policy cut short loads with fewer rules, and the cases
    that still pass must not hide that.
    """

    results: list[CaseResult]
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.missing

    def missing_text(self) -> str:
        """One line naming what the cases expect and the policy lacks ('' when nothing)."""
        if not self.missing:
            return ""
        names = ", ".join(f"{id_} ({len(cases)} case(s))" for id_, cases in sorted(self.missing.items()))
        return (f"the cases name rules or limits the policy does not have: {names}; "
                "is the policy file complete?")


def load_cases(path: Path | str) -> list[tuple[Case, int]]:
    """The cases of a file with their line numbers; CaseFileError lists every problem."""
    file = str(path)
    problems: list[PolicyProblem] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError([PolicyProblem(file, 0, f"cannot read case file: {exc}")]) from exc
    data, lines = parse(text, file, problems)
    if problems:
        raise CaseFileError(problems)
    if not isinstance(data, dict):
        message = "a case file is a mapping with 'cases'"
        raise CaseFileError([PolicyProblem(file, lines.get((), 1), message)])
    try:
        cases = _CaseFile.model_validate(data).cases
    except ValidationError as exc:
        raise CaseFileError(validation_problems(exc, data, file, lines)) from exc
    seen: dict[str, int] = {}
    out: list[tuple[Case, int]] = []
    for i, case in enumerate(cases):
        line = line_of(lines, ("cases", i))
        if case.name in seen:
            message = f"duplicate case name {case.name!r} (first at line {seen[case.name]})"
            problems.append(PolicyProblem(file, line, message))
        seen.setdefault(case.name, line)
        out.append((case, line))
    if problems:
        raise CaseFileError(problems)
    return out


def _check(case: Case, policy: Policy, catalog: Catalog) -> tuple[bool, str, Decision | None]:
    req, expect = case.request, case.expect
    try:
        action = catalog.action(req.action)
        params = validate_params(action.params, req.params)
    except ActionClassesError as exc:
        return False, str(exc), None
    request = PolicyInput(action=action, params=params, context=req.context,
                          requester=req.requester, usage=req.usage)
    try:
        decision = policy.decide(request)
    except PolicyEvaluationError as exc:
        return expect.error, f"evaluation failed: {exc}", None
    if expect.error:
        return False, f"expected an evaluation error, got {decision.action_class.value}", decision
    problems = []
    if decision.action_class is not expect.action_class:
        assert expect.action_class is not None
        problems.append(f"expected {expect.action_class.value}, got {decision.explanation}")
    matched = sorted(hit.id for hit in decision.rules)
    if expect.rules is not None and sorted(expect.rules) != matched:
        problems.append(f"expected rules {sorted(expect.rules)}, matched {matched}")
    exceeded = sorted(c.id for c in decision.limits if c.exceeded)
    if expect.exceeded is not None and sorted(expect.exceeded) != exceeded:
        problems.append(f"expected exceeded limits {sorted(expect.exceeded)}, got {exceeded}")
    if problems:
        return False, "; ".join(problems), decision
    return True, decision.explanation, decision


def _missing_ids(cases: list[tuple[Case, int]], policy: Policy) -> dict[str, list[str]]:
    rule_ids = {r.id for r in policy.rules}
    limit_ids = {x.id for x in policy.limits}
    missing: dict[str, list[str]] = {}
    for case, _ in cases:
        named = [(i, rule_ids) for i in case.expect.rules or []]
        named += [(i, limit_ids) for i in [*(case.expect.exceeded or []), *(case.request.usage or {})]]
        for id_, known in named:
            if id_ not in known and case.name not in missing.get(id_, []):
                missing.setdefault(id_, []).append(case.name)
    return missing


def run_cases(path: Path | str, policy: Policy, catalog: Catalog) -> CaseReport:
    """Run every case of ``path`` against ``policy``; CaseFileError when the file is bad.

    The report is not ok when a case names a rule or limit id the policy lacks,
    even if every case passed.
    """
    results = []
    cases = load_cases(path)
    for case, line in cases:
        passed, message, decision = _check(case, policy, catalog)
        results.append(CaseResult(case.name, str(path), line, passed, message, decision))
    return CaseReport(results, _missing_ids(cases, policy))
