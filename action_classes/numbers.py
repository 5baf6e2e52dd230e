"""Numbers read from pages, small arithmetic over placeholders, and comparisons.

An ``expect`` can compare a number on the page with an expression such as
``"{extracted.balance_before} + {params.amount_cents|dollars}"``. The grammar
is deliberately tiny: numbers and placeholders joined by ``+`` and ``-``
(a leading ``-`` negates one term). Nothing is ever evaluated as code.

The expression is parsed from the catalog text, never from rendered text: each
placeholder's value is converted to a number on its own, so a page value such
as ``"5 + 100"`` is refused as "not a number" instead of changing the sum.
Arithmetic is ``Decimal`` (no binary rounding: 0.10 + 0.20 is 0.30).

Page text becomes a number the same way everywhere (``parse_number``):
surrounding whitespace, thousands separators (``,``) and one currency sign
(``$``, ``€``, ``£``, ``¥``) after an optional minus sign are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import Field, field_validator, model_validator

from action_classes.errors import TemplateError
from action_classes.locators import StrictModel
from action_classes.templates import FILTERS, Placeholder, placeholders

__all__ = ["COMPARISON_KEYS", "Comparison", "NumberCheck", "evaluate", "expression_refs", "parse_number"]

COMPARISON_KEYS: tuple[str, ...] = ("eq", "gt", "gte", "lt", "lte")
_SYMBOLS = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_TOKEN = re.compile(r"\s*(?:(\{[^{}]*\})|([+-])|(\d[\d,]*(?:\.\d+)?|\.\d+))")


def parse_number(text: str) -> Decimal:
    """``"$1,234.50"`` -> ``Decimal("1234.50")``; TemplateError naming the text otherwise."""
    cleaned = text.strip().replace(",", "")
    sign = ""
    if cleaned.startswith("-"):
        sign, cleaned = "-", cleaned[1:].lstrip()
    if cleaned[:1] in ("$", "€", "£", "¥"):
        cleaned = cleaned[1:].strip()
    cleaned = sign + cleaned
    if not _NUMBER.match(cleaned):
        raise TemplateError(f"{text[:60]!r} is not a number")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise TemplateError(f"{text[:60]!r} is not a number") from None


_Term = tuple[int, Decimal | Placeholder]  # (sign, literal or placeholder)


def _terms(expression: str) -> list[_Term]:
    """Parse ``expression`` into signed terms; TemplateError with the position on bad syntax."""
    terms: list[_Term] = []
    pos, sign, expect_term = 0, 1, True
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos:].lstrip()[:1]
            raise TemplateError(
                f"unexpected {bad!r} in expression {expression!r}: only numbers, placeholders, + and - are allowed"
            )
        placeholder, operator, literal = match.groups()
        pos = match.end()
        if operator is not None:
            if expect_term:
                if operator == "+" or sign == -1:
                    raise TemplateError(f"expression {expression!r}: misplaced {operator!r}")
                sign = -1
                continue
            sign, expect_term = (1 if operator == "+" else -1), True
            continue
        if not expect_term:
            raise TemplateError(f"expression {expression!r}: a + or - is missing between two terms")
        value: Decimal | Placeholder
        if placeholder is not None:
            refs = list(placeholders(placeholder))
            value = refs[0]
        else:
            value = parse_number(literal)
        terms.append((sign, value))
        sign, expect_term = 1, False
    if expect_term:
        raise TemplateError(f"expression {expression!r} is empty or ends with an operator")
    return terms


def expression_refs(expression: str) -> Iterator[Placeholder]:
    """The placeholders an expression uses; TemplateError on bad syntax."""
    for _, value in _terms(expression):
        if isinstance(value, Placeholder):
            yield value


def evaluate(expression: str, values: Mapping[str, Mapping[str, Any]]) -> Decimal:
    """The value of ``expression`` with placeholders taken from ``values``, each parsed as a number."""
    total = Decimal(0)
    for sign, value in _terms(expression):
        if isinstance(value, Placeholder):
            scope = values.get(value.scope, {})
            if value.name not in scope:
                raise TemplateError(f"{value!r} has no value")
            raw = scope[value.name]
            text = FILTERS[value.filter](raw) if value.filter else str(raw)
            try:
                number = parse_number(text)
            except TemplateError:
                raise TemplateError(f"{value!r} = {text[:60]!r} is not a number") from None
        else:
            number = value
        total += sign * number
    return total


class Comparison(StrictModel):
    """Numeric comparisons, each an expression: ``{gte: 1}``, ``{eq: "{extracted.n} + 1"}``."""

    eq: str | None = Field(None, description="Equal to this expression.")
    gt: str | None = Field(None, description="Greater than this expression.")
    gte: str | None = Field(None, description="Greater than or equal to this expression.")
    lt: str | None = Field(None, description="Less than this expression.")
    lte: str | None = Field(None, description="Less than or equal to this expression.")

    @field_validator(*COMPARISON_KEYS, mode="before")
    @classmethod
    def _numbers_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a number or an expression, not true/false")
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _some(self) -> Comparison:
        chosen = self.comparisons()
        if not chosen:
            raise ValueError(f"a comparison needs at least one of: {', '.join(COMPARISON_KEYS)}")
        for key, expression in chosen:
            try:
                _terms(expression)
            except TemplateError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return self

    def comparisons(self) -> list[tuple[str, str]]:
        """(operator key, expression) for every comparison that is set."""
        return [(k, getattr(self, k)) for k in COMPARISON_KEYS if getattr(self, k) is not None]

    def failures(self, actual: Decimal) -> list[str]:
        """Human lines for each comparison ``actual`` fails; the expressions must be rendered numbers."""
        out: list[str] = []
        for key, expression in self.comparisons():
            expected = evaluate(expression, {})
            holds = {
                "eq": actual == expected,
                "gt": actual > expected,
                "gte": actual >= expected,
                "lt": actual < expected,
                "lte": actual <= expected,
            }[key]
            if not holds:
                out.append(f"expected {_SYMBOLS[key]} {expected}, got {actual}")
        return out


class NumberCheck(Comparison):
    """Read the element's text as a number (through ``pattern``) and compare it."""

    pattern: str | None = Field(None, description="Regex; its first group (or the match) is the number.")

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return value

    def read(self, text: str) -> Decimal:
        """The number in ``text``; TemplateError when the pattern or the number does not match."""
        normalised = " ".join(text.split())
        if self.pattern:
            match = re.search(self.pattern, normalised)
            if match is None:
                raise TemplateError(f"{self.pattern!r} does not match {normalised[:80]!r}")
            normalised = match.group(1) if match.groups() else match.group(0)
        return parse_number(normalised)
