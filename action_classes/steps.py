"""Browser steps as data: the vocabulary of SPEC section 5.

A step in YAML is a mapping with exactly one key naming its kind::

    - goto: /accounts/{params.account_id}
    - fill: {label: Amount, value: "{params.amount_cents|dollars}"}
    - expect: {test_id: account-status, text: Active}

Locator keys are written flat beside the step's own options; the models fold
them into a ``locator`` field. In ``expect`` the key ``text`` is the expected
text when another locator strategy is present, and the locator otherwise.

``DRAFT_GAP`` in place of a step's options marks something ``steward catalog
draft`` could not know; a catalog with a gap never loads.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from action_classes.locators import PRIMARY_KEYS, Locator, StrictModel
from action_classes.numbers import Comparison, NumberCheck

__all__ = [
    "DRAFT_GAP",
    "STEP_KINDS",
    "ActSpec",
    "ExpectSpec",
    "ExtractSpec",
    "FillSpec",
    "OptionSpec",
    "PressSpec",
    "SelectSpec",
    "Step",
    "WaitForSpec",
]

DRAFT_GAP = "DRAFT_GAP"

_LOCATOR_KEYS = frozenset(Locator.model_fields)


def _fold_locator(data: Any, *, optional: bool = False) -> Any:
    """Move flat locator keys of a step mapping into a nested ``locator``."""
    if not isinstance(data, dict) or "locator" in data:
        return data
    loc = {k: v for k, v in data.items() if k in _LOCATOR_KEYS}
    rest = {k: v for k, v in data.items() if k not in _LOCATOR_KEYS}
    if loc or not optional:
        rest["locator"] = loc
    return rest


class _LocatedSpec(StrictModel):
    locator: Locator = Field(description="The element the step acts on.")
    timeout_ms: int | None = Field(None, ge=1, le=600_000, description="Step timeout override.")

    @model_validator(mode="before")
    @classmethod
    def _fold(cls, data: Any) -> Any:
        return _fold_locator(data)


class ActSpec(_LocatedSpec):
    """click, check and uncheck: a locator and an optional timeout."""


class FillSpec(_LocatedSpec):
    """Type ``value`` into a form control; ``secret`` keeps it out of every record."""

    value: str = Field(description="Text to fill; templates allowed.")
    secret: bool = Field(False, description="Never log, trace or screenshot this value.")


class OptionSpec(StrictModel):
    """Which option of a <select>: exactly one of its visible label, its value, or its index."""

    label: str | None = Field(None, description="The option's visible text; templates allowed.")
    value: str | None = Field(None, description="The option's value attribute; templates allowed.")
    index: int | None = Field(None, ge=0, description="The option's position, 0-based.")

    @model_validator(mode="after")
    def _one(self) -> OptionSpec:
        chosen = [k for k in ("label", "value", "index") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("option takes exactly one of: label, value, index")
        return self


class SelectSpec(_LocatedSpec):
    """Choose an option of a <select>: ``option: {label|value|index: ...}``.

    The older ``value: X`` form still loads and means the option's *label*;
    there is no fallback from label to value (on a real UI it waited out the
    whole step timeout on every select by value).
    """

    option: OptionSpec | None = Field(None, description="The option to choose.")
    value: str | None = Field(None, description="Older form: the option's label; prefer option: {label: ...}.")

    @model_validator(mode="after")
    def _one_choice(self) -> SelectSpec:
        if (self.option is None) == (self.value is None):
            raise ValueError("select takes exactly one of: option (label, value or index), value")
        return self

    def choice(self) -> tuple[str, str | int]:
        """(``label`` | ``value`` | ``index``, what to choose)."""
        if self.option is None:
            assert self.value is not None  # validated above
            return "label", self.value
        for key in ("label", "value", "index"):
            found = getattr(self.option, key)
            if found is not None:
                return key, found
        raise AssertionError("validated above")  # pragma: no cover


class PressSpec(_LocatedSpec):
    """Press a key (Playwright key name, e.g. Enter) on an element."""

    key: str = Field(description="Key to press, e.g. Enter or Control+A.")


class WaitForSpec(StrictModel):
    """Wait for a locator's state, a URL, or a load state: exactly one."""

    locator: Locator | None = None
    state: Literal["visible", "hidden", "attached", "detached"] = "visible"
    url: str | None = Field(None, description="URL glob the page must reach.")
    load_state: Literal["load", "domcontentloaded", "networkidle"] | None = None
    timeout_ms: int | None = Field(None, ge=1, le=600_000)

    @model_validator(mode="before")
    @classmethod
    def _fold(cls, data: Any) -> Any:
        return _fold_locator(data, optional=True)

    @model_validator(mode="after")
    def _one_mode(self) -> WaitForSpec:
        modes = [m for m in (self.locator, self.url, self.load_state) if m is not None]
        if len(modes) != 1:
            raise ValueError("wait_for takes exactly one of: a locator, url, load_state")
        return self


class ExpectSpec(StrictModel):
    """Assert something about exactly one element (or a count of elements)."""

    locator: Locator
    text: str | None = Field(None, description="Exact text (whitespace-normalised).")
    contains: str | None = Field(None, description="Substring of the element's text.")
    matches: str | None = Field(None, description="Regular expression the text must match.")
    one_of: list[str] | None = Field(
        None, min_length=1, description="The text (whitespace-normalised) is exactly one of these."
    )
    number: NumberCheck | None = Field(
        None, description="Read the text as a number (through pattern) and compare: eq, gt, gte, lt, lte."
    )
    value: str | None = Field(None, description="Expected value of an input.")
    state: Literal["visible", "hidden", "enabled", "disabled", "checked", "unchecked"] = "visible"
    count: int | Comparison | None = Field(
        None, description="Number of matches: exactly N, or a comparison such as {gte: 1}."
    )
    timeout_ms: int | None = Field(None, ge=1, le=600_000)

    @model_validator(mode="after")
    def _count_alone(self) -> ExpectSpec:
        if isinstance(self.count, int) and self.count < 0:
            raise ValueError("count must be 0 or more")
        if self.count is not None:
            checks = ("text", "contains", "matches", "one_of", "number", "value")
            text_checks = [k for k in checks if getattr(self, k) is not None]
            if text_checks:
                raise ValueError(f"count counts matches; it cannot be combined with {', '.join(text_checks)}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _fold(cls, data: Any) -> Any:
        if isinstance(data, dict) and "locator" not in data and "text" in data:
            others = [k for k in PRIMARY_KEYS if k != "text" and k in data]
            if others:  # `text` is the assertion, not the locator
                data = dict(data)
                expected = data.pop("text")
                folded = _fold_locator(data)
                folded["text"] = expected
                return folded
        return _fold_locator(data)


class ExtractSpec(StrictModel):
    """Read a value from the page: an element's text, an attribute, an input's
    value, the number of matches (``count: true``), or the page's URL path
    (``url: true``, no locator).

    In an extract step ``name`` names the value; a role's accessible name then
    goes in an explicit ``locator: {role: ..., name: ...}``.
    """

    @model_validator(mode="before")
    @classmethod
    def _fold(cls, data: Any) -> Any:
        if isinstance(data, dict) and "locator" not in data and "name" in data:
            data = dict(data)
            value_name = data.pop("name")
            folded = _fold_locator(data, optional=True)
            folded["name"] = value_name
            return folded
        return _fold_locator(data, optional=True)

    locator: Locator | None = Field(None, description="The element to read (none with url: true).")
    timeout_ms: int | None = Field(None, ge=1, le=600_000, description="Step timeout override.")
    name: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]*$", description="Name to store under.")
    attribute: str | None = Field(None, description="Attribute to read; 'value' reads an input.")
    pattern: str | None = Field(None, description="Regex; the first group (or match) is kept.")
    count: bool = Field(False, description="Read how many elements the locator matches (0 or more).")
    url: bool = Field(False, description="Read the current page's path (no origin, no query string).")
    pii: bool = Field(False, description="The value is personal data: HMAC'd in the audit log like a pii parameter.")

    @model_validator(mode="after")
    def _source(self) -> ExtractSpec:
        if self.url:
            if self.locator is not None or self.count or self.attribute:
                raise ValueError("url: true reads the page address: no locator, count or attribute")
        elif self.locator is None:
            raise ValueError("an extract needs a locator (or url: true)")
        if self.count and (self.attribute or self.pattern):
            raise ValueError("count: true reads the number of matches: no attribute or pattern")
        return self


STEP_KINDS: tuple[str, ...] = (
    "goto",
    "click",
    "fill",
    "select",
    "check",
    "uncheck",
    "press",
    "wait_for",
    "expect",
    "extract",
)


class Step(StrictModel):
    """One browser step: exactly one of the kind fields is set."""

    goto: str | None = Field(None, description="Path (relative to base_url) or allowed URL.")
    click: ActSpec | None = None
    fill: FillSpec | None = None
    select: SelectSpec | None = None
    check: ActSpec | None = None
    uncheck: ActSpec | None = None
    press: PressSpec | None = None
    wait_for: WaitForSpec | None = None
    expect: ExpectSpec | None = None
    extract: ExtractSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_draft_gap(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for kind, value in data.items():
                if value == DRAFT_GAP:
                    raise ValueError(f"draft gap: fill in this {kind} step (left open by steward catalog draft)")
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        kinds = [k for k in STEP_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step has exactly one kind, one of: {', '.join(STEP_KINDS)}")
        if self.extract is not None and self.extract.name is None:
            raise ValueError("an extract step needs a 'name'")
        return self

    @property
    def kind(self) -> str:
        """The step's kind, e.g. ``fill``."""
        return next(k for k in STEP_KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> Any:
        """The kind's options (a string for ``goto``)."""
        return getattr(self, self.kind)

    @property
    def is_secret(self) -> bool:
        """True for a fill whose value must never be recorded."""
        return self.fill is not None and self.fill.secret

    def describe(self) -> str:
        """A human line for logs and the audit timeline; never contains values."""
        spec = self.spec
        if self.goto is not None:
            return f"goto {self.goto}"
        if self.extract is not None and spec.url:
            return "extract url"
        return f"{self.kind} {spec.locator.describe()}" if spec.locator else self.kind
