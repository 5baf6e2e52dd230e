"""CEL expressions over a request: compiled once at load, evaluated per request.

An expression may read four top-level variables and nothing else:

- ``params``: the request's parameters (validated against the action's schema);
- ``context``: the free-form context the agent sent (conversation id, customer
  id, account tier, confidence ...). Keys are not guaranteed: reading a missing
  key is a runtime error, which rejects the request. Guard optional keys with
  ``has(context.x) && ...``;
- ``action``: ``{name, category, target}`` of the catalog action;
- ``request``: ``{requester}``.

A syntax error or any other name is a load error. A runtime error is reported
as PolicyEvaluationError by the caller, never treated as "no match".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import cel

from policies.errors import PolicyEvaluationError

__all__ = ["VARIABLES", "Expression", "bind", "compiled", "describe", "first_sentence", "variables_of"]

VARIABLES: frozenset[str] = frozenset({"params", "context", "action", "request"})

# Names bound by comprehension macros (``items.exists(x, x > 1)``) show up in
# Program.variables() although they are local; they are allowed.
_MACRO_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_CEL_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")


def _syntax_message(exc: Exception) -> str:
    """The first, most useful line of a CEL parser error."""
    text = str(exc)
    match = _CEL_ERROR.search(text)
    if match:
        return f"CEL syntax error at column {match.group(2)}: {match.group(3).strip()}"
    return f"CEL syntax error: {text.splitlines()[0] if text else type(exc).__name__}"


class Expression:
    """One compiled CEL expression; raises ValueError on bad source (a load error)."""

    __slots__ = ("_program", "source", "variables")

    def __init__(self, source: str) -> None:
        if not source.strip():
            raise ValueError("expression is empty")
        try:
            self._program = cel.compile(source)
        except Exception as exc:  # the binding raises ValueError; anything else is no better
            raise ValueError(_syntax_message(exc)) from exc
        local = set(_MACRO_BOUND.findall(source))
        names = set(self._program.variables()) - local
        unknown = sorted(names - VARIABLES)
        if unknown:
            allowed = ", ".join(sorted(VARIABLES))
            names_text = ", ".join(unknown)
            raise ValueError(f"unknown variable {names_text} (conditions may use {allowed})")
        self.source = source
        self.variables = frozenset(names)

    def run(self, variables: cel.Context | Mapping[str, Any]) -> Any:
        """Evaluate; CEL's own exceptions (KeyError, TypeError, RuntimeError ...) propagate."""
        activation = variables if isinstance(variables, cel.Context) else dict(variables)
        return self._program.execute(activation)

    def evaluate(self, variables: cel.Context | Mapping[str, Any], label: str, source: str) -> Any:
        """Evaluate for a request; any failure is a PolicyEvaluationError.

        ``label`` starts the message (``rule small-credits``); ``source`` is the
        bare id the error carries.
        """
        try:
            return self.run(variables)
        except Exception as exc:  # fail closed: no error may read as "did not match"
            raise PolicyEvaluationError(
                f"{label}: cannot evaluate {self.source!r}: {describe(exc)}", source
            ) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@functools.lru_cache(maxsize=16_384)
def compiled(source: str) -> Expression:
    """``Expression(source)``, compiled once: a rule's validator and its ``condition`` share it.

    Expressions are immutable, so sharing one between rules and policies is safe.
    """
    return Expression(source)


def describe(exc: BaseException) -> str:
    """A one-line account of a CEL runtime error, with a hint for missing keys."""
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        return f"no key {key!r} in the request (guard optional keys with has(context.{key}))"
    first = first_sentence(exc)
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def first_sentence(exc: BaseException) -> str:
    """The first sentence of an error message (CEL's carry paragraphs of advice)."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return line.split(". ")[0].rstrip(".")[:200]


def variables_of(
    params: Mapping[str, Any],
    context: Mapping[str, Any],
    action: Mapping[str, Any],
    requester: str,
) -> dict[str, Any]:
    """The four variables of a request as plain values (what ``bind`` converts for CEL)."""
    return {
        "params": dict(params),
        "context": dict(context),
        "action": dict(action),
        "request": {"requester": requester},
    }


def bind(
    params: Mapping[str, Any],
    context: Mapping[str, Any],
    action: Mapping[str, Any],
    requester: str,
) -> cel.Context:
    """The CEL activation for one request, converted once and shared by every expression."""
    return cel.Context(variables_of(params, context, action, requester))
