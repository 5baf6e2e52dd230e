"""Action requests as the API shows them: the request view, its decision, confirmation, approval and outcome."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from executor.states import RequestState
from executor.wire._base import WireModel

__all__ = [
    "ActionClassName",
    "ActionList",
    "ActionRequest",
    "ActionRequestView",
    "ApprovalRecord",
    "AuditRange",
    "ConfirmationRecord",
    "EvidenceRef",
    "HandoffAction",
    "HandoffPacket",
    "HandoffReason",
    "LimitCheck",
    "Outcome",
    "PolicyDecision",
    "RequestErrorInfo",
    "RuleHit",
    "SubmitResult",
]

ActionClassName = Literal["autonomous", "customer_confirmed", "human_approved", "forbidden"]
"""The four action classes, least strict first (SPEC section 2)."""

_ID = "req_019c1f2a3b4c5d6e7f8a9b0c"
_HASH = "9f2c4b1e8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c"
_TIME = "2026-12-02T14:03:27.512Z"
_DATE_TIME: dict[str, Any] = {"format": "date-time"}


class RuleHit(WireModel):
    """A policy rule whose condition matched the request."""

    id: str = Field(description="The rule's id in the policy file.", examples=["small-credits-autonomous"])
    action_class: ActionClassName = Field(alias="class", description="The class the rule imposes.",
                                          examples=["autonomous"])
    reason: str = Field(description="Why, in words for people.", examples=["Small goodwill credits run alone"])
    relax: bool = Field(description="True when the rule may lower the class below the action's default.",
                        examples=[True])
    decisive: bool = Field(description="True when this rule produced the decision's class.", examples=[True])


class LimitCheck(WireModel):
    """A budget limit that applies to the request, and where the request leaves it."""

    id: str = Field(description="The limit's id in the policy file.", examples=["credit-budget"])
    scope: Literal["global", "requester"] = Field(description="Whose consumption is counted.", examples=["global"])
    per: str = Field(description="Length of the sliding window.", examples=["1h"])
    current: float | None = Field(description="Consumed in the window before this request; null when unchecked.",
                                  examples=[4500.0])
    adding: float = Field(description="What this request adds (the limit's `sum` expression).", examples=[1500.0])
    max: float = Field(description="The most the window may hold.", examples=[100000.0])
    exceeded: bool = Field(description="True when current + adding > max.", examples=[False])
    status: Literal["ok", "exceeded", "unchecked"] = Field(description="Where the request leaves the limit.",
                                                          examples=["ok"])
    action_class: ActionClassName = Field(alias="class", description="The class imposed when exceeded.",
                                          examples=["human_approved"])
    reason: str = Field(description="Why, in words for people.", examples=["Credits above the hourly budget"])
    decisive: bool = Field(description="True when this limit produced the decision's class.", examples=[False])


class PolicyDecision(WireModel):
    """The class a request got under policy, and every rule and limit that produced it."""

    action: str = Field(description="The action decided on.", examples=["issue_credit"])
    action_class: ActionClassName = Field(alias="class", description="The class the request runs under.",
                                          examples=["human_approved"])
    default_class: ActionClassName = Field(description="The action's class in the catalog, before policy.",
                                           examples=["human_approved"])
    rules: list[RuleHit] = Field(description="Every rule that matched, in policy order.", examples=[[]])
    limits: list[LimitCheck] = Field(description="Every budget limit that applies to the action.", examples=[[]])
    policy_version: str = Field(description="sha256 of the policy files that decided.", examples=[_HASH])
    explanation: str = Field(description="One sentence for people: the class and why.",
                             examples=["human_approved: issue_credit is human_approved by default"])


class ConfirmationRecord(WireModel):
    """The customer's confirmation as recorded (bound to the request's params_hash)."""

    channel: Literal["chat", "email", "voice", "sms", "web", "other"] = Field(
        description="Where the customer confirmed.", examples=["chat"])
    quote: str = Field(description="The customer's words.", examples=["Yes, please change it to a@b.example"])
    reference: str | None = Field(description="Message or call id holding the confirmation.", examples=["msg-8812"])
    confirmed_at: str = Field(description="When the customer confirmed (UTC, ISO-8601).", examples=[_TIME],
                              json_schema_extra=_DATE_TIME)
    params_hash: str = Field(description="sha256 of the parameters the customer confirmed.", examples=[_HASH])


class ApprovalRecord(WireModel):
    """An operator's decision on a human_approved request."""

    operator: str = Field(description="The operator (API key name); never the requester.", examples=["olga"])
    decision: Literal["approved", "denied"] = Field(description="What the operator decided.", examples=["approved"])
    note: str = Field(description="The operator's note or reason.", examples=["checked the ledger"])
    at: str = Field(description="When the decision was taken (UTC, ISO-8601).", examples=[_TIME],
                    json_schema_extra=_DATE_TIME)


class EvidenceRef(WireModel):
    """One evidence file of a run; fetch it from GET /v1/actions/{id}/evidence/{sha256}."""

    kind: str = Field(description="screenshot or trace.", examples=["screenshot"])
    label: str = Field(description="When it was taken.", examples=["after verification"])
    sha256: str = Field(description="sha256 of the file (hex): its name in the evidence store.", examples=[_HASH])
    size: int = Field(description="Size in bytes.", examples=[48213])
    media_type: str = Field(description="image/png or application/zip (a Playwright trace).",
                            examples=["image/png"])
    path: str | None = Field(None, description="Where the server keeps the file, when stored on its disk.",
                             examples=["/var/lib/steward/evidence/9f/2c/9f2c4b1e"])


class Outcome(WireModel):
    """How a run ended (null until one did). More keys may appear; programs should read the ones they know."""

    model_config = ConfigDict(extra="allow")

    reason: str | None = Field(None, description="Why it ended this way, for people.", examples=["verified"])
    step: str | None = Field(None, description="The step that decided the outcome, if one did.",
                             examples=["click button 'Apply credit'"])
    extracted: dict[str, Any] | None = Field(None, description="Values read from the back-office.",
                                             examples=[{"balance_after": "$12.50"}])
    evidence: list[EvidenceRef] | None = Field(None, description="Screenshots and traces of the run.", examples=[[]])
    handoff: str | None = Field(None, description="What a person must do (unverified requests).",
                                examples=["A person must check the back-office and settle this request."])
    details: Any = Field(None, description="Why a submission was rejected, for programs.",
                         examples=[{"errors": ["amount_cents: must be at most 1000000"]}])


class RequestErrorInfo(WireModel):
    """Why a request was rejected or failed."""

    code: str = Field(description="Stable code, e.g. invalid_params, forbidden, halted, commit_refused.",
                      examples=["forbidden"])
    message: str | None = Field(description="For people.", examples=["Credits above $500 are handled by billing"])


class AuditRange(WireModel):
    """The request's first and last audit event."""

    first_seq: int = Field(description="seq of the request's first audit event.", examples=[118])
    last_seq: int = Field(description="seq of its latest audit event.", examples=[131])


class ActionRequest(WireModel):
    """One action request, as agents, operators and the CLI see it."""

    id: str = Field(description="The request id.", examples=[_ID])
    ref: str = Field(description="A short reference derived from the id (`{request.ref}` in the catalog).",
                     examples=["S-MFRGGZDFMZ"])
    action: str = Field(description="The catalog action.", examples=["issue_credit"])
    target: str | None = Field(description="The back-office target (null for an unknown action).",
                               examples=["billing_console"])
    requester: str = Field(description="Who submitted it (the agent key's name).", examples=["resolver-bot"])
    idempotency_key: str | None = Field(description="The agent's idempotency key, if any.", examples=["conv-9-credit"])
    params: dict[str, Any] | None = Field(description="The parameters as recorded: secret ones masked, PII ones "
                                          "HMAC'd; null when they were invalid.",
                                          examples=[{"account_id": "ACC-000042", "amount_cents": 1500}])
    params_hash: str | None = Field(description="sha256 of the canonical parameters; a confirmation must carry it.",
                                    examples=[_HASH])
    context: dict[str, Any] = Field(description="The request's context (conversation, customer, tier, ...).",
                                    examples=[{"customer_id": "C-42", "agent_confidence": 0.9}])
    state: RequestState = Field(description="Where the request is in its lifecycle (SPEC section 4).",
                                examples=["awaiting_approval"])
    action_class: ActionClassName | None = Field(alias="class", description="The class policy gave it; null when "
                                                 "it was rejected before a decision.", examples=["human_approved"])
    decision: PolicyDecision | None = Field(description="The policy decision, null when none was taken.")
    confirmation: ConfirmationRecord | None = Field(description="The customer's confirmation, once attached.")
    approval: ApprovalRecord | None = Field(description="The operator's decision, once taken.")
    outcome: Outcome | None = Field(description="How the run (or the rejection) ended; null before.")
    extracted: dict[str, Any] = Field(description="Values read from the back-office (outcome.extracted).",
                                      examples=[{"status": "Active"}])
    evidence: list[EvidenceRef] = Field(description="Evidence files of the run (outcome.evidence).", examples=[[]])
    error: RequestErrorInfo | None = Field(description="Why it was rejected or failed; null otherwise.")
    created_at: str = Field(description="When it was received (UTC, ISO-8601).", examples=[_TIME],
                            json_schema_extra=_DATE_TIME)
    updated_at: str = Field(description="Its last change (UTC, ISO-8601).", examples=[_TIME],
                            json_schema_extra=_DATE_TIME)
    expires_at: str | None = Field(description="When a wait for confirmation or approval runs out (UTC, ISO-8601).",
                                   examples=[None], json_schema_extra=_DATE_TIME)
    terminal: bool = Field(description="True once the state can never change again.", examples=[False])
    trace_id: str | None = Field(default=None, description="The W3C trace id of its OpenTelemetry trace (continued "
                                 "from the submit's `traceparent`, else minted at intake).",
                                 examples=["4bf92f3577b34da6a3ce929d0e0e4736"])
    policy_version: str | None = Field(default=None, description="sha256 of the policy that decided it (the "
                                       "candidate's during a canary, when the split chose it).",
                                       examples=[_HASH])
    policy_rollout: str | None = Field(default=None, description="The policy rollout track that decided it: "
                                       "`shadow` (the active policy decided, a candidate was evaluated beside it), "
                                       "`control` or `canary` (a canary ran; the active policy or the candidate "
                                       "decided); null when no rollout ran.", examples=[None])


class ActionRequestView(ActionRequest):
    """A request with the range of its audit events (what GET /v1/actions/{id} and the decisions return)."""

    audit_range: AuditRange | None = Field(description="Its first and last audit seq; null if it has no event.")


class HandoffAction(WireModel):
    """The action of a handoff packet."""

    name: str = Field(description="The catalog action.", examples=["issue_credit"])
    target: str | None = Field(description="Its back-office target.", examples=["billing_console"])
    description: str = Field(description="The catalog's description of the action.",
                             examples=["Give an account a credit"])


class HandoffReason(WireModel):
    """A rule or limit behind the request's class."""

    rule: str | None = Field(description="The rule or limit id (catalog-default when none raised the class).",
                             examples=["catalog-default"])
    action_class: str | None = Field(alias="class", description="The class it imposes.", examples=["human_approved"])
    reason: str | None = Field(description="Why, for people.", examples=["issue_credit is human_approved by default"])


class HandoffPacket(WireModel):
    """What an approver (or the human team, for a forbidden request) needs to decide without opening five tools."""

    request_id: str = Field(description="The request id.", examples=[_ID])
    goal: str | None = Field(description="What the customer asked for (context.customer_goal).",
                             examples=["Refund the double charge"])
    customer_id: str | None = Field(description="context.customer_id.", examples=["C-42"])
    conversation_id: str | None = Field(description="context.conversation_id.", examples=["conv-9"])
    requester: str = Field(description="Who submitted the request.", examples=["resolver-bot"])
    action: HandoffAction = Field(description="The action and its target.")
    owner: str | None = Field(None, description="Who answers for the action (its catalog owner, else its "
                              "target's); null when the catalog names none.", examples=["billing-ops"])
    reviewers: list[str] = Field(default_factory=list, description="Who reviews the action's changes.",
                                 examples=[["support-automation"]])
    params: dict[str, Any] | None = Field(description="The parameters, secret ones masked.",
                                          examples=[{"account_id": "ACC-000042", "amount_cents": 20000}])
    action_class: str | None = Field(alias="class", description="The class policy gave it.",
                                     examples=["human_approved"])
    why: list[HandoffReason] = Field(description="The rules and limits behind the class.", examples=[[]])
    limits: list[LimitCheck] = Field(description="The budget limits that apply.", examples=[[]])
    explanation: str | None = Field(description="The policy's one-sentence explanation.",
                                    examples=["human_approved: issue_credit is human_approved by default"])
    preconditions: dict[str, Any] = Field(description="Values read from the back-office before deciding, if any.",
                                          examples=[{}])
    if_nobody_decides: str = Field(description="What happens when nobody decides.",
                                   examples=["The request expires at 2026-12-03T14:03:27.512Z and nothing executes."])
    expires_at: str | None = Field(description="When the wait runs out (UTC, ISO-8601).", examples=[_TIME],
                                   json_schema_extra=_DATE_TIME)


class SubmitResult(ActionRequestView):
    """The answer to a submission: the request, whether this call created it, and the handoff when it waits."""

    created: bool = Field(description="False when the same idempotency key and parameters returned the original.",
                          examples=[True])
    handoff: HandoffPacket | None = Field(None, description="Present when the request awaits approval.")


class ActionList(WireModel):
    """A page of requests, newest first unless ``sort`` says otherwise."""

    requests: list[ActionRequest] = Field(description="The requests (an agent sees only its own).", examples=[[]])
    total: int | None = Field(None, description="How many requests match the filters in all (every page).",
                              examples=[137])
    offset: int | None = Field(None, description="Where this page starts among the matches.", examples=[0])
    next_offset: int | None = Field(None, description="Pass it back as `offset` for the next page; null on the "
                                    "last.", examples=[50])
