"""The policy engine: YAML rules and budget limits with CEL conditions (SPEC section 6).

Typical use::

    policy = load_policy("policies/default.yaml", catalog)   # PolicyLoadError on any problem
    decision = policy.decide(PolicyInput(action=action, params=params,
                                         context=context, requester=who, usage=usage))
    decision.action_class, decision.explanation, decision.rules, decision.policy_version

``decide`` raises PolicyEvaluationError when it cannot evaluate a condition
for the request (fail closed: reject, execute nothing).
"""

from policies.cases import Case, CaseReport, CaseResult, load_cases, run_cases
from policies.decision import Decision, LimitCheck, PolicyInput, RuleHit
from policies.engine import Policy
from policies.errors import (
    CaseFileError,
    PolicyError,
    PolicyEvaluationError,
    PolicyLoadError,
    PolicyProblem,
)
from policies.gate import GateState, GateStep
from policies.loader import load_policy, no_policy
from policies.models import Limit, PolicyFile, Rule

__all__ = [
    "Case",
    "CaseFileError",
    "CaseReport",
    "CaseResult",
    "Decision",
    "GateState",
    "GateStep",
    "Limit",
    "LimitCheck",
    "Policy",
    "PolicyError",
    "PolicyEvaluationError",
    "PolicyFile",
    "PolicyInput",
    "PolicyLoadError",
    "PolicyProblem",
    "Rule",
    "RuleHit",
    "load_cases",
    "load_policy",
    "no_policy",
    "run_cases",
]
