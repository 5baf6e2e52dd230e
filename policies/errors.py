"""Errors of the policies package.

Hierarchy::

    PolicyError                      base; never retryable (the same input gives the same answer)
    ├── PolicyLoadError              a policy file failed to load; carries every PolicyProblem
    ├── CaseFileError                a policy test-case file is malformed; every PolicyProblem
    └── PolicyEvaluationError        a condition or a limit's sum failed at request time, or a
                                     limit that applies has no usage data: the request must be
                                     rejected and nothing executed (fail closed, never a pass)

Every error has ``retryable = False``: a broken expression, a malformed file
or a request whose context a condition cannot read does not fix itself by
trying again. A caller that changes the request (adds the missing context key)
makes a new request.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CaseFileError",
    "PolicyError",
    "PolicyEvaluationError",
    "PolicyLoadError",
    "PolicyProblem",
]


class PolicyError(Exception):
    """Base class; ``retryable`` tells callers whether trying again can help."""

    retryable = False


@dataclass(frozen=True)
class PolicyProblem:
    """One problem found in a policy or case file, with where it is."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _ProblemsError(PolicyError):
    """An error that lists every problem found, the first one in its message."""

    def __init__(self, problems: list[PolicyProblem], default: str) -> None:
        self.problems = problems
        head = str(problems[0]) if problems else default
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(head + more)


class PolicyLoadError(_ProblemsError):
    """A policy could not be loaded; ``problems`` lists every issue found."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        super().__init__(problems, "policy is invalid")


class CaseFileError(_ProblemsError):
    """A policy test-case file could not be read; ``problems`` lists every issue."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        super().__init__(problems, "case file is invalid")


class PolicyEvaluationError(PolicyError):
    """Evaluating the policy for one request failed: reject it, execute nothing.

    ``source`` names the rule or limit whose expression failed (empty when the
    failure is not tied to one, e.g. missing usage data).
    """

    def __init__(self, message: str, source: str = "") -> None:
        self.source = source
        super().__init__(message)
