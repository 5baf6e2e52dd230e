"""Safe-authoring warnings: each unsafe pattern fails a strict check, each safe form passes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from action_classes import check_catalog, load_catalog
from action_classes.authoring import DESTRUCTIVE_WORDS
from executor.config import DEFAULT_CATALOG_DIR

HEAD = """\
targets:
  t: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"], owner: qa}
actions:
  a:
    target: t
    category: x
    class: autonomous
    params: {reason: {type: string}, account: {type: string}}
    steps:
      - fill: {label: Reason, value: "{params.reason} {request.ref}"}
"""
SAFE_COMMIT = "    commit: {click: {role: button, name: Apply credit, exact: true}}\n"
SAFE_VERIFY = """\
    verify:
      - goto: /credits
      - expect: {test_id: credit-row, has_text: "{request.ref}"}
"""

NO_INVERSE = "    compensate: {none: Nothing undoes this test action}\n"  # keeps the rollback warning out


def _strict(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    folder = tmp_path / "cat"
    folder.mkdir(exist_ok=True)
    (folder / "a.yaml").write_text(text + NO_INVERSE)
    problems = check_catalog(folder, strict=True)
    assert all(p.severity == "warning" for p in problems), problems  # the catalog itself loads
    return [(p.line, p.message) for p in problems]


class TestCommitLocators:
    @pytest.mark.parametrize(
        ("commit", "message"),
        [
            ("{press: {label: Reason, key: Enter}}", "the commit is a key press"),
            ('{click: {css: "form button.primary"}}', "located by css"),
            ('{click: {xpath: "//form//button[2]"}}', "located by xpath"),
            ("{click: {role: button, name: Apply credit, exact: true, nth: 0}}", "picks match nth=0"),
            ("{click: {role: button, name: Apply credit, exact: true, nth: -1}}", "picks match nth=-1"),
            ("{click: {role: button}}", "is any 'button' (no name)"),
            ("{click: {role: button, name: Apply credit}}", "name 'Apply credit' is not exact"),
            ("{click: {text: Apply credit}}", "text 'Apply credit' is not exact"),
            ("{check: {label: Confirm}}", "label 'Confirm' is not exact"),
        ],
    )
    def test_unsafe_commit_fails_strict(self, tmp_path: Path, commit: str, message: str) -> None:
        """A commit that can drift onto another control is a warning at the commit's line."""
        found = _strict(tmp_path, HEAD + f"    commit: {commit}\n" + SAFE_VERIFY)
        assert any(line == 11 and message in text for line, text in found), found

    @pytest.mark.parametrize(
        ("name", "why"),
        [
            ("Cancel", "it is part of 'Cancel subscription'"),
            ("account", "it is part of 'Close account'"),
            ("Re", "it is part of 'Issue refund'"),
            ("Delete item", "it contains 'delete'"),
        ],
    )
    def test_could_match_a_destructive_control(self, tmp_path: Path, name: str, why: str) -> None:
        """A non-exact name that is part of, or names, a destructive control gets its own warning."""
        found = _strict(tmp_path, HEAD + f"    commit: {{click: {{role: button, name: {name}}}}}\n" + SAFE_VERIFY)
        destructive = [text for _, text in found if "could also match a destructive control" in text]
        assert destructive and why in destructive[0], found

    def test_exact_destructive_commit_is_deliberate(self, tmp_path: Path) -> None:
        """An exact name is the author saying which control: a destructive action may commit with it."""
        commit = "    commit: {click: {role: button, name: Cancel subscription, exact: true}}\n"
        assert _strict(tmp_path, HEAD + commit + SAFE_VERIFY) == []

    def test_the_verb_list_is_lower_case_words(self) -> None:
        """The destructive vocabulary is plain lower-case words (they go into a regex and into page JS)."""
        assert all(w.isalpha() and w.islower() for w in DESTRUCTIVE_WORDS)


class TestVerification:
    @pytest.mark.parametrize(
        "expect",
        [
            '{test_id: credit-row, has_text: "{params.reason}"}',
            '{text: "{params.reason}"}',
            '{role: row, name: "{params.reason}"}',
            '{test_id: credit-row, has_text: "{params.account}", contains: "{params.reason}"}',
        ],
    )
    def test_substring_only_fails_strict(self, tmp_path: Path, expect: str) -> None:
        """Matching only text an older record could also show is a warning at verify's line."""
        verify = f"    verify:\n      - goto: /credits\n      - expect: {expect}\n"
        found = _strict(tmp_path, HEAD + SAFE_COMMIT + verify)
        assert [line for line, text in found if "older record could also show" in text] == [12], found

    @pytest.mark.parametrize(
        "expect",
        [
            '{test_id: credit-row, has_text: "{request.ref}"}',
            '{test_id: credit-row, has_text: "{request.id}"}',
            '{test_id: credit-row, has_text: "{extracted.credit_id}"}',
            "{test_id: credit-row, count: 1}",
            '{test_id: credit-row, count: {eq: "{extracted.rows} + 1"}}',
            '{test_id: credit-row, nth: 0, contains: "{params.reason}"}',
            '{test_id: balance, number: {eq: "{extracted.balance} + 1"}}',
            '{test_id: contact-email, text: "{params.reason}"}',
            "{test_id: account-status, one_of: [Cancelled, Closed]}",
        ],
    )
    def test_specific_verification_passes(self, tmp_path: Path, expect: str) -> None:
        """The request's ref, a value read after the commit, a count, nth, a before/after number or an exact
        state check each make verification specific."""
        extra = """\
      - extract: {name: rows, test_id: credit-row, count: true}
      - extract: {name: balance, test_id: balance}
"""
        after = "    after_commit:\n      - extract: {name: credit_id, test_id: flash}\n"
        verify = f"    verify:\n      - goto: /credits\n      - expect: {expect}\n"
        assert _strict(tmp_path, HEAD + extra + SAFE_COMMIT + after + verify) == []


class TestStrictness:
    def test_warnings_never_stop_loading(self, tmp_path: Path) -> None:
        """A catalog with warnings loads and runs; only strict checking reports them, with file and line."""
        folder = tmp_path / "cat"
        folder.mkdir()
        commit = "    commit: {click: {role: button, name: Apply}}\n"
        (folder / "a.yaml").write_text(HEAD + commit + SAFE_VERIFY + NO_INVERSE)
        assert load_catalog(folder).actions["a"].commit is not None
        assert check_catalog(folder) == []
        [warning] = check_catalog(folder, strict=True)
        assert warning.severity == "warning" and warning.line == 11
        assert str(warning).startswith(f"{folder / 'a.yaml'}:11: warning: the commit's name 'Apply'")

    def test_shipped_catalog_is_strict_clean(self) -> None:
        """The shipped billing catalog passes the strict check."""
        assert check_catalog(DEFAULT_CATALOG_DIR, env={}, strict=True) == []
