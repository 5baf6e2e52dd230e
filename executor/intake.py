"""Intake: from an agent's submission to a stored request in its first state.

A chain of small gates, each a callable over one ``Submission``. A gate either
adds what it learned or rejects; once rejected, later gates do not run. The
order is the contract: the action must exist and its parameters be valid
before policy sees them, policy decides the class before the kill switch
(``class:`` scopes need it), and nothing is queued unless every gate passed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from action_classes import Action, ActionClass, Catalog, ParamsInvalid, UnknownActionError, validate_params
from audit import canonical_json
from executor.errors import ConfirmationMismatch
from executor.killswitch import scopes_of
from executor.models import SubmitRequest
from executor.rollout import Policies, split_key
from executor.store.records import KillSwitch
from executor.tracing import span
from policies import Decision, Policy, PolicyError, PolicyInput

__all__ = ["Gate", "Submission", "default_gates", "new_request_id", "params_hash"]


def params_hash(params: Any) -> str:
    """sha256 of the canonical JSON of the parameters (what a confirmation binds)."""
    return hashlib.sha256(canonical_json(params)).hexdigest()


def new_request_id() -> str:
    """Time-ordered, unguessable request id."""
    return f"req_{int(time.time() * 1000):012x}{secrets.token_hex(6)}"


@dataclass
class Submission:
    """What the gates know about one submission so far."""

    body: SubmitRequest
    requester: str
    params_hash: str
    action: Action | None = None
    params: dict[str, Any] | None = None
    decision: Decision | None = None
    halted: KillSwitch | None = None
    rejection: tuple[str, str, Any] | None = None  # (code, message, details)
    request_id: str = field(default_factory=lambda: new_request_id())
    policy_version: str | None = None  # sha256 of the policy that decided
    rollout: str | None = None  # the rollout track that decided: shadow, control, canary (None: no rollout)
    shadow: Decision | None = None  # the candidate's decision, in shadow
    shadow_error: str | None = None  # the candidate could not be evaluated, in shadow
    shadow_version: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def reject(self, code: str, message: str, details: Any = None) -> None:
        self.rejection = (code, message, details)


class Gate(Protocol):
    """One intake step."""

    def __call__(self, sub: Submission) -> None: ...


class ResolveAction:
    """Unknown actions are rejected: deny by default."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def __call__(self, sub: Submission) -> None:
        try:
            sub.action = self.catalog.action(sub.body.action)
        except UnknownActionError as exc:
            sub.reject("unknown_action", str(exc), {"known": sorted(self.catalog.actions)})


class ValidateParams:
    """Parameters must satisfy the action's schema before anything else reads them."""

    def __call__(self, sub: Submission) -> None:
        assert sub.action is not None
        try:
            sub.params = validate_params(sub.action.params, sub.body.params)
        except ParamsInvalid as exc:
            sub.reject("invalid_params", str(exc), {"problems": exc.problems})


class DecidePolicy:
    """The policy decides the class; an evaluation error rejects (fail closed).

    During a rollout (``executor.rollout``) the canary split picks the policy that decides; in shadow
    the candidate is evaluated too, and only recorded.
    """

    def __init__(self, policies: Policies | Policy, usage: Any) -> None:
        self.policies = policies if isinstance(policies, Policies) else Policies(policies)
        self.usage = usage

    def __call__(self, sub: Submission) -> None:
        assert sub.action is not None and sub.params is not None
        pin = PolicyInput(
            action=sub.action,
            params=sub.params,
            context=sub.body.context.for_policy(),
            requester=sub.requester,
            usage=None,
        )
        key = split_key(sub.body.context.model_dump(exclude_none=True), sub.requester, sub.body.idempotency_key,
                        sub.request_id)
        policy, sub.rollout = self.policies.choose(key)
        sub.policy_version = policy.version
        attributes = {"steward.policy_version": str(policy.version)}
        if sub.rollout:
            attributes["steward.policy_rollout"] = sub.rollout
        with span("steward.policy", attributes=attributes) as current:
            try:
                usage = self.usage(policy, pin)
                sub.decision = policy.decide(pin.model_copy(update={"usage": usage}))
            except PolicyError as exc:
                sub.reject("policy_error", f"policy could not be evaluated, nothing runs: {exc}")
                current.set_attribute("steward.policy_error", True)
                return
            current.set_attribute("steward.class", sub.decision.action_class.value)
        if self.policies.candidate is not None:
            sub.shadow_version = self.policies.candidate.version
        if sub.rollout == "shadow":
            self._shadow(sub, pin)
        if sub.decision.action_class == ActionClass.FORBIDDEN:
            sub.reject("forbidden", sub.decision.explanation, {"decision": sub.decision.model_dump(mode="json")})


    def _shadow(self, sub: Submission, pin: PolicyInput) -> None:
        """The candidate's decision beside the active one; it changes nothing, an error included."""
        candidate = self.policies.candidate
        assert candidate is not None
        try:
            usage = self.usage(candidate, pin)
            sub.shadow = candidate.decide(pin.model_copy(update={"usage": usage}))
        except PolicyError as exc:
            sub.shadow_error = f"the candidate could not be evaluated: {exc}"[:500]


class CheckKillSwitch:
    """New requests in the scope of an engaged kill switch are rejected as halted."""

    def __init__(self, switches: Any) -> None:
        self.switches = switches

    def __call__(self, sub: Submission) -> None:
        assert sub.action is not None and sub.decision is not None
        covering = set(scopes_of(sub.action.name, sub.action.target, sub.decision.action_class.value))
        for switch in self.switches():
            if switch.scope in covering:
                sub.halted = switch
                sub.reject(
                    "halted",
                    f"halted by kill switch {switch.scope}: {switch.reason}",
                    {"scope": switch.scope, "operator": switch.operator},
                )
                return


class CheckConfirmation:
    """A confirmation sent with the submission must bind exactly these parameters."""

    def __call__(self, sub: Submission) -> None:
        conf = sub.body.confirmation
        if conf is not None and conf.params_hash != sub.params_hash:
            raise ConfirmationMismatch(
                "the confirmation was given for other parameters (params_hash differs)",
                details={"expected": sub.params_hash, "got": conf.params_hash},
            )


def default_gates(catalog: Catalog, policy: Policies | Policy, usage: Any, switches: Any) -> list[Gate]:
    """The intake chain in its contractual order."""
    return [
        ResolveAction(catalog),
        ValidateParams(),
        CheckConfirmation(),
        DecidePolicy(policy, usage),
        CheckKillSwitch(switches),
    ]
