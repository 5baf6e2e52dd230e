"""Targets, actions and the catalog that holds them (SPEC section 5)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from action_classes.compensation import Compensation
from action_classes.errors import UnknownActionError
from action_classes.locators import StrictModel
from action_classes.origins import normalize_origin, origin_of
from action_classes.params import ParamSpec
from action_classes.steps import DRAFT_GAP, ExpectSpec, ExtractSpec, Step
from action_classes.taxonomy import ActionClass

__all__ = ["Action", "Catalog", "RetrySpec", "SessionCheck", "Target", "check_owner", "check_reviewers"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_OWNER_HELP = "The team or person who answers for it (reports and handoff packets name it)."
_REVIEWERS_HELP = "Who reviews its changes, besides the owner."


def check_owner(value: str | None) -> str | None:
    """An owner is a short, printable name; a draft gap is refused."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 100 or not value.isprintable():
        raise ValueError("owner must be 1 to 100 printable characters (a team or a person)")
    if value == DRAFT_GAP:
        raise ValueError("draft gap: name the owner (the team or person who answers for this target)")
    return value


def check_reviewers(value: list[str]) -> list[str]:
    """Reviewers: distinct owner-like names."""
    out = [check_owner(v) or "" for v in value]
    if len(set(out)) != len(out):
        raise ValueError("reviewers are listed once each")
    return out


_AFTER_COMMIT_KINDS = ("expect", "extract", "wait_for")


class SessionCheck(StrictModel):
    """The older mapping form of a session check: one page and one expect.

    Still accepted in YAML and converted to ``[{goto: ...}, {expect: ...}]``.
    """

    goto: str = Field("/", description="Page to open for the check.")
    expect: ExpectSpec = Field(description="What a logged-in page shows.")

    def steps(self) -> list[Step]:
        """The same check as a list of steps."""
        return [Step(goto=self.goto), Step(expect=self.expect)]


def _has_gap(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_gap(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_gap(v) for v in value)
    return bool(value == DRAFT_GAP)


class Target(StrictModel):
    """One back-office web application."""

    name: str = Field("", description="Target name (the catalog key).")
    description: str = ""
    owner: str | None = Field(None, description=_OWNER_HELP + " Its actions inherit it.")
    reviewers: list[str] = Field(default_factory=list, description=_REVIEWERS_HELP)
    base_url: str = Field(description="Root URL; relative goto paths resolve against it.")
    allowed_origins: list[str] = Field(
        min_length=1, description="The only origins the browser may load for this target."
    )
    credentials: dict[str, str] = Field(
        default_factory=dict, description="Login values, each 'env:VARIABLE'; never logged."
    )
    login: list[Step] = Field(default_factory=list, description="Steps that sign in.")
    logout: list[Step] = Field(
        default_factory=list,
        description="Steps that sign out; run on a pooled session that is evicted (idle too long) or at shutdown.",
    )
    session_check: list[Step] | None = Field(
        None, description="Steps that pass only while signed in; the first is a goto (it starts on a blank page)."
    )

    @field_validator("session_check", mode="before")
    @classmethod
    def _legacy_session_check(cls, value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"goto", "expect"}:
            return SessionCheck.model_validate(value).steps()
        if isinstance(value, SessionCheck):
            return value.steps()
        return value

    @field_validator("session_check")
    @classmethod
    def _check_starts_with_goto(cls, value: list[Step] | None) -> list[Step] | None:
        if value is not None and (not value or value[0].goto is None):
            raise ValueError("session_check must start with a goto (it runs on a blank page)")
        return value

    _owner = field_validator("owner")(check_owner)
    _reviewers = field_validator("reviewers")(check_reviewers)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [normalize_origin(v) for v in value]

    @field_validator("credentials")
    @classmethod
    def _env_only(cls, value: dict[str, str]) -> dict[str, str]:
        for key, ref in value.items():
            if not re.fullmatch(r"env:[A-Za-z_][A-Za-z0-9_]*", ref):
                raise ValueError(f"credential {key!r} must be 'env:VARIABLE' (no secrets in YAML)")
        return value

    @model_validator(mode="after")
    def _base_allowed(self) -> Target:
        origin = origin_of(self.base_url)
        if origin is None:
            raise ValueError(f"base_url {self.base_url!r} is not an absolute http(s) URL")
        if origin not in self.allowed_origins:
            raise ValueError(f"base_url origin {origin} is not in allowed_origins")
        if self.login and self.session_check is None:
            raise ValueError("a target with login steps needs a session_check")
        return self

    @property
    def base_origin(self) -> str:
        """The normalized origin of base_url."""
        origin = origin_of(self.base_url)
        assert origin is not None  # validated above
        return origin


class RetrySpec(StrictModel):
    """Retries of steps before the commit step on transient faults."""

    attempts: int = Field(3, ge=1, le=10, description="Total tries, the first included.")
    backoff_s: float = Field(0.5, ge=0, le=60, description="First wait between tries.")
    max_backoff_s: float = Field(5.0, ge=0, le=300, description="Cap on one wait.")


class Action(StrictModel):
    """A named operation on a target."""

    name: str = Field("", description="Action name (the catalog key).")
    description: str = ""
    target: str = Field(description="Name of the target it runs on.")
    category: str = Field(description="Free grouping used by policy, e.g. billing.")
    owner: str | None = Field(None, description=_OWNER_HELP + " Default: its target's owner.")
    reviewers: list[str] = Field(default_factory=list, description=_REVIEWERS_HELP + " Default: its target's.")
    action_class: ActionClass = Field(alias="class", description="Default class before policy.")
    read_only: bool = Field(False, description="Reads only: no commit step, no verification.")
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    preconditions: list[Step] = Field(default_factory=list, description="Stop rules read first.")
    steps: list[Step] = Field(default_factory=list)
    commit: Step | None = Field(None, description="The one step that changes state.")
    after_commit: list[Step] = Field(
        default_factory=list,
        description="Steps right after the commit, on the page it left: expect, extract, wait_for. "
        "A failed expect means the UI refused the commit unless verification finds the change.",
    )
    verify: list[Step] = Field(default_factory=list, description="Re-read and check the change.")
    extract: dict[str, ExtractSpec] = Field(default_factory=dict, description="Values to report.")
    compensate: Compensation | None = Field(
        None,
        description="How the action is undone: {action, params} names the inverse, {none: reason} says why "
        "there is none. `catalog check --strict` wants it on every action that changes state.",
    )
    retry: RetrySpec = Field(default_factory=RetrySpec)
    step_timeout_ms: int = Field(10_000, ge=100, le=600_000)
    timeout_s: float = Field(120, ge=1, le=3600, description="Whole-action budget.")
    confirmation_ttl_s: int = Field(900, ge=1, description="How long a confirmation may take.")
    approval_ttl_s: int = Field(86_400, ge=1, description="How long an approval may take.")

    _owner = field_validator("owner")(check_owner)
    _reviewers = field_validator("reviewers")(check_reviewers)

    @field_validator("after_commit", mode="before")
    @classmethod
    def _legacy_after_commit(cls, value: Any) -> Any:
        # The older form maps a name to an extract; keep loading it as extract steps.
        if isinstance(value, dict):
            out: list[Any] = []
            for name, spec in value.items():
                if isinstance(spec, ExtractSpec):
                    out.append(Step(extract=spec.model_copy(update={"name": name})))
                elif isinstance(spec, dict):
                    out.append({"extract": {**spec, "name": name}})
                else:
                    out.append({"extract": spec})
            return out
        return value

    @field_validator("verify", mode="before")
    @classmethod
    def _no_gap(cls, value: Any) -> Any:
        if _has_gap(value):
            raise ValueError(
                "draft gap: fill in verification (a goto to the page that shows the change, and an expect "
                "that finds this request's record: {request.ref}, an after_commit value or a count)"
            )
        return value

    @model_validator(mode="after")
    def _shape(self) -> Action:
        if self.read_only:
            if self.commit is not None or self.after_commit:
                raise ValueError("a read_only action has no commit step")
            if self.compensate is not None:
                raise ValueError("a read_only action changes nothing: it takes no compensate")
        else:
            if self.commit is None:
                raise ValueError("an action that changes state needs a commit step (or read_only: true)")
            if not self.verify:
                raise ValueError("an action with a commit step needs verify steps")
            if self.verify[0].goto is None:
                raise ValueError("verification must start with a goto (a fresh read, not the commit page)")
            if not any(s.expect is not None for s in self.verify):
                raise ValueError("verify steps need at least one expect")
            if self.commit.kind not in ("click", "press", "select", "check", "uncheck"):
                raise ValueError("the commit step must be click, press, select, check or uncheck")
            wrong = [s.kind for s in self.after_commit if s.kind not in _AFTER_COMMIT_KINDS]
            if wrong:
                raise ValueError(f"after_commit takes only {', '.join(_AFTER_COMMIT_KINDS)} steps, not {wrong[0]}")
        return self

    def after_commit_names(self) -> list[str]:
        """Names of the values the after_commit steps extract."""
        return [s.extract.name for s in self.after_commit if s.extract is not None and s.extract.name]

    def sensitive_params(self) -> tuple[set[str], set[str]]:
        """(secret, pii) names: parameters, and on the pii side also values extracted with ``pii: true``."""
        steps = [*self.preconditions, *self.steps, *self.after_commit, *self.verify]
        pii_reads = {s.extract.name for s in steps if s.extract is not None and s.extract.name and s.extract.pii}
        pii_reads |= {k for k, v in self.extract.items() if v.pii}
        return (
            {k for k, v in self.params.items() if v.secret},
            {k for k, v in self.params.items() if v.pii} | pii_reads,
        )

    def params_json_schema(self) -> dict[str, Any]:
        """The parameters as a JSON Schema object (API and agent tool schemas)."""
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: v.json_schema() for k, v in self.params.items()},
            "required": [k for k, v in self.params.items() if v.required],
        }


class Catalog(StrictModel):
    """Every target and action loaded from one catalog directory."""

    targets: dict[str, Target]
    actions: dict[str, Action]
    version: str = Field(description="sha256 over the catalog files' names and contents.")
    files: list[str] = Field(default_factory=list)
    end_marker: bool = Field(False, description="Every file finished with `end: true` (none was cut short).")

    def action(self, name: str) -> Action:
        """The action called ``name``; UnknownActionError when there is none."""
        if not isinstance(name, str) or name not in self.actions:
            raise UnknownActionError(str(name)[:100])
        return self.actions[name]

    def target_of(self, action: Action) -> Target:
        """The target an action runs on."""
        return self.targets[action.target]

    def owner_of(self, action: Action | str) -> str | None:
        """Who answers for an action: its own owner, else its target's; None when neither names one."""
        found = self.actions.get(action) if isinstance(action, str) else action
        if found is None:
            return None
        target = self.targets.get(found.target)
        return found.owner or (target.owner if target is not None else None)

    def reviewers_of(self, action: Action | str) -> list[str]:
        """An action's reviewers, else its target's."""
        found = self.actions.get(action) if isinstance(action, str) else action
        if found is None:
            return []
        target = self.targets.get(found.target)
        return list(found.reviewers or (target.reviewers if target is not None else []))

    def owners(self) -> list[str]:
        """Every owner the catalog names (targets and actions), sorted."""
        named = {t.owner for t in self.targets.values()} | {self.owner_of(a) for a in self.actions.values()}
        return sorted(o for o in named if o)


def valid_name(name: str) -> bool:
    """Target and action names: lower_snake_case, at most 64 characters."""
    return bool(_NAME.match(name))
