"""Locators in Playwright's own vocabulary, as data.

A locator names exactly one primary strategy (``role``, ``label``, ``text``,
``placeholder``, ``alt``, ``title``, ``test_id``, ``css`` or ``xpath``) and may
be refined structurally: ``within`` scopes it inside another locator, ``has``
keeps matches that contain another locator, ``has_text`` filters by text and
``nth`` picks one match (``-1`` is the last). Role locators take Playwright's
ARIA state options (``level``, ``checked``, ``pressed``, ``expanded``,
``selected``, ``include_hidden``). Template placeholders (``{params.x}``) are allowed
only in text-matching fields, never in ``css``, ``xpath``, ``test_id`` or
``role``: parameter values are data, not selectors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PRIMARY_KEYS", "ROLE_OPTIONS", "SELECTOR_KEYS", "TEXT_KEYS", "Locator", "StrictModel"]

PRIMARY_KEYS: tuple[str, ...] = (
    "role",
    "label",
    "text",
    "placeholder",
    "alt",
    "title",
    "test_id",
    "css",
    "xpath",
)
# ARIA state options, only with ``role`` (Playwright's get_by_role keywords).
ROLE_OPTIONS: tuple[str, ...] = ("level", "checked", "pressed", "expanded", "selected", "include_hidden")
# Keys whose value is matched as text: templates may fill them.
TEXT_KEYS: tuple[str, ...] = ("name", "label", "text", "placeholder", "alt", "title", "has_text")
# Keys whose value is selector syntax: never templated.
SELECTOR_KEYS: tuple[str, ...] = ("role", "test_id", "css", "xpath")


class StrictModel(BaseModel):
    """Base for every catalog and request model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Locator(StrictModel):
    """Where on the page a step acts: one primary strategy plus refinements."""

    role: str | None = Field(None, description="ARIA role, e.g. button, link, textbox, row.")
    name: str | None = Field(None, description="Accessible name, used with role.")
    exact: bool = Field(False, description="Match name/label/text exactly (case and whole string).")
    label: str | None = Field(None, description="Form control by its label text.")
    text: str | None = Field(None, description="Element by its text content.")
    placeholder: str | None = Field(None, description="Input by its placeholder.")
    alt: str | None = Field(None, description="Image by its alt text.")
    title: str | None = Field(None, description="Element by its title attribute.")
    test_id: str | None = Field(None, description="Element by data-testid.")
    css: str | None = Field(None, description="CSS selector (static: never templated).")
    xpath: str | None = Field(None, description="XPath expression (static: never templated).")
    within: Locator | None = Field(None, description="Search only inside this locator's match.")
    has: Locator | None = Field(None, description="Keep matches that contain this locator.")
    has_text: str | None = Field(None, description="Keep matches containing this text.")
    nth: int | None = Field(None, ge=-1, description="Pick the n-th match (0-based; -1 is the last).")
    level: int | None = Field(None, ge=1, le=9, description="With role: the heading (or list/tree) level.")
    checked: bool | None = Field(None, description="With role: only checked (true) or unchecked (false) controls.")
    pressed: bool | None = Field(None, description="With role: only pressed (true) or unpressed toggle buttons.")
    expanded: bool | None = Field(None, description="With role: only expanded (true) or collapsed (false) controls.")
    selected: bool | None = Field(None, description="With role: only selected (true) or unselected options/tabs.")
    include_hidden: bool | None = Field(None, description="With role: also match elements hidden from the ARIA tree.")

    # Subclasses (expect) may reinterpret ``text`` as an assertion.
    _primary_keys: ClassVar[tuple[str, ...]] = PRIMARY_KEYS

    @model_validator(mode="after")
    def _one_strategy(self) -> Locator:
        chosen = self.primary_keys_set()
        if len(chosen) != 1:
            names = ", ".join(self._primary_keys)
            if not chosen:
                raise ValueError(f"a locator needs exactly one of: {names}")
            raise ValueError(f"a locator takes one strategy, got {', '.join(chosen)}")
        if self.name is not None and self.role is None:
            raise ValueError("'name' goes with 'role'")
        if self.role is None:
            stray = [k for k in ROLE_OPTIONS if getattr(self, k) is not None]
            if stray:
                raise ValueError(f"{', '.join(stray)}: only with 'role'")
        return self

    def role_options(self) -> dict[str, Any]:
        """The ARIA state options that are set (for ``get_by_role``)."""
        return {k: getattr(self, k) for k in ROLE_OPTIONS if getattr(self, k) is not None}

    def primary_keys_set(self) -> list[str]:
        """The primary strategy keys that are set on this locator."""
        return [k for k in self._primary_keys if getattr(self, k) is not None]

    def strategy(self) -> tuple[str, str]:
        """The one primary (key, value) pair."""
        key = self.primary_keys_set()[0]
        return key, str(getattr(self, key))

    def locator_fields(self) -> dict[str, Any]:
        """Only the fields that define where to look (for subclasses with extras)."""
        return {k: getattr(self, k) for k in Locator.model_fields if getattr(self, k) is not None}

    def describe(self) -> str:
        """A short human description, e.g. ``button "Apply credit"``."""
        key, value = self.strategy()
        label = f'{value} "{self.name}"' if self.name else value
        text = label if key == "role" else f'{key}="{value}"'
        for key, option in self.role_options().items():
            text += f" {key}={str(option).lower() if isinstance(option, bool) else option}"
        if self.has_text:
            text += f' has_text="{self.has_text}"'
        if self.nth is not None:
            text += f" nth={self.nth}"
        if self.within is not None:
            text += f" within {self.within.describe()}"
        return text
