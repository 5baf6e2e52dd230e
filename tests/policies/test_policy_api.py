"""The public surface of the policies package."""

from __future__ import annotations

import policies


class TestPublicNames:
    """policies.__all__ is the contract other packages build on."""

    def test_all_is_pinned(self) -> None:
        """The exported names change only on purpose."""
        assert policies.__all__ == [
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

    def test_every_name_exists(self) -> None:
        """Each exported name resolves."""
        for name in policies.__all__:
            assert getattr(policies, name) is not None

    def test_errors_are_not_retryable(self) -> None:
        """Every policy error says retrying cannot help."""
        for error in (
            policies.PolicyError,
            policies.PolicyLoadError,
            policies.CaseFileError,
            policies.PolicyEvaluationError,
        ):
            assert issubclass(error, policies.PolicyError)
            assert error.retryable is False
