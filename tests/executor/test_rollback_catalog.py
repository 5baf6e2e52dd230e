"""The catalog's compensate: its two shapes, what catalog check refuses, how an inverse's parameters are filled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from action_classes import CatalogError, TemplateError, check_catalog, load_catalog, render_compensation
from executor.cli import app
from executor.config import DEFAULT_CATALOG_DIR

HEAD = """\
targets:
  t: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"], owner: qa}
actions:
  give:
    target: t
    category: x
    class: autonomous
    params: {account: {type: string}, cents: {type: integer, minimum: 1}}
    preconditions:
      - goto: /a/{params.account}
      - extract: {name: before, test_id: balance}
    commit: {click: {role: button, name: Give credit, exact: true}}
    after_commit:
      - extract: {name: credit_id, test_id: flash, pattern: "(CR-[0-9]+)"}
    verify:
      - goto: /credits
      - expect: {test_id: credit-row, has_text: "{extracted.credit_id}"}
"""
TAKE = """\
  take:
    target: t
    category: x
    class: human_approved
    params: {account: {type: string}, credit: {type: string}, cents: {type: integer}, note: {type: string}}
    commit: {click: {role: button, name: Take back, exact: true}}
    verify:
      - goto: /credits
      - expect: {test_id: credit-row, has_text: "{request.ref}"}
    compensate: {none: Nothing re-applies a reversal in this test}
"""


def _catalog(tmp_path: Path, compensate: str, extra: str = TAKE) -> Path:
    folder = tmp_path / "cat"
    folder.mkdir(exist_ok=True)
    (folder / "a.yaml").write_text(HEAD + compensate + extra)
    return folder


GOOD = """\
    compensate:
      action: take
      params: {account: "{params.account}", credit: "{extracted.credit_id}", cents: "{params.cents}",
               note: "Undo {request.id} (was {extracted.before})"}
"""


class TestCompensateShapes:
    def test_inverse_loads_and_passes_strict(self, tmp_path: Path) -> None:
        """An inverse whose parameters all come from the original loads, strict-clean."""
        folder = _catalog(tmp_path, GOOD)
        assert check_catalog(folder, strict=True) == []
        comp = load_catalog(folder).actions["give"].compensate
        assert comp is not None and comp.action == "take" and comp.reversible

    @pytest.mark.parametrize(
        ("compensate", "message"),
        [
            ("    compensate: {action: nope, params: {}}\n", "compensate names unknown action 'nope'"),
            ("    compensate: {action: take, params: {account: '{params.account}', credit: '{extracted.missing}', "
             "cents: '{params.cents}', note: x}}\n", "'give' has no extracted value 'missing'"),
            ("    compensate: {action: take, params: {account: '{params.account}', cents: '{params.cents}', "
             "note: x}}\n", "needs parameter 'credit', and nothing fills it"),
            ("    compensate: {action: take, params: {account: '{params.account}', credit: x, cents: '{params.cents}', "
             "note: x, extra: y}}\n", "'take' has no parameter 'extra'"),
            ("    compensate: {action: take, params: {account: '{credentials.user}', credit: x, cents: '1', "
             "note: x}}\n", "only params, extracted and request values"),
            ("    compensate: {action: take, none: both}\n", "exactly one"),
            ("    compensate: {none: DRAFT_GAP}\n", "draft gap"),
            ("    compensate: {none: x}\n", "3 to 500 characters"),
        ],
    )
    def test_check_refuses(self, tmp_path: Path, compensate: str, message: str) -> None:
        """Each broken compensate is an error with file and line; the catalog does not load."""
        folder = _catalog(tmp_path, compensate)
        problems = check_catalog(folder)
        assert any(message in p.message and p.line > 0 for p in problems), problems
        with pytest.raises(CatalogError):
            load_catalog(folder)

    def test_read_only_inverse_is_refused(self, tmp_path: Path) -> None:
        """A read-only action cannot undo anything."""
        look = ("  look:\n    target: t\n    category: x\n    class: autonomous\n    read_only: true\n"
                "    preconditions: [{goto: /}]\n")
        folder = _catalog(tmp_path, "    compensate: {action: look}\n", TAKE + look)
        assert any("read_only and cannot undo" in p.message for p in check_catalog(folder))

    def test_strict_wants_every_state_change_to_say(self, tmp_path: Path) -> None:
        """Without compensate the catalog loads, and --strict names the action and both ways to fix it."""
        folder = _catalog(tmp_path, "")
        assert check_catalog(folder) == []
        [warning] = check_catalog(folder, strict=True)
        assert "'give' changes state but does not say how it is undone" in warning.message
        assert warning.line == 4
        result = CliRunner().invoke(app, ["catalog", "check", str(folder), "--strict", "--json"])
        assert result.exit_code == 1 and len(json.loads(result.output)["warnings"]) == 1

    def test_shipped_catalogs_are_strict_clean_and_reversible_where_allowed(self) -> None:
        """Both shipped catalogs pass --strict; credits, emails and addresses have inverses."""
        assert check_catalog(DEFAULT_CATALOG_DIR, env={}, strict=True) == []
        catalog = load_catalog(DEFAULT_CATALOG_DIR, env={})
        inverses = {n: a.compensate.action for n, a in catalog.actions.items() if a.compensate}
        assert inverses == {
            "issue_credit": "reverse_credit", "update_contact_email": "update_contact_email",
            "change_shipping_address": "change_shipping_address", "reverse_credit": None,
            "cancel_subscription": None, "refund_order": None, "cancel_order": None, "add_internal_note": None,
            "create_shipment": None,
        }
        assert "previous_email" in catalog.actions["update_contact_email"].sensitive_params()[1]


class TestRenderCompensation:
    def test_types_and_text(self, tmp_path: Path) -> None:
        """A lone placeholder keeps its type, text is rendered, and numbers typed as text become integers."""
        catalog = load_catalog(_catalog(tmp_path, GOOD))
        comp, take = catalog.actions["give"].compensate, catalog.actions["take"]
        assert comp is not None
        params = render_compensation(comp, take, {"account": "A-1", "cents": 250}, {"credit_id": "CR-000009",
                                     "before": "$1.00"}, "req_1", "S-X")
        assert params == {"account": "A-1", "credit": "CR-000009", "cents": 250, "note": "Undo req_1 (was $1.00)"}

    def test_a_value_never_recorded_cannot_fill(self, tmp_path: Path) -> None:
        """A missing extracted value is a TemplateError: the plan lists the original for a person."""
        catalog = load_catalog(_catalog(tmp_path, GOOD))
        comp = catalog.actions["give"].compensate
        assert comp is not None
        with pytest.raises(TemplateError):
            render_compensation(comp, catalog.actions["take"], {"account": "A-1", "cents": 250}, {}, "req_1", "S-X")


class TestRollbackCli:
    def test_dry_run_on_an_empty_window(self, tmp_path: Path, billing: object) -> None:
        """The CLI prints the plan of an empty window and changes nothing; a reversed window is refused."""
        db = f"sqlite:///{tmp_path / 's.db'}"
        args = ["rollback", "--since", "2026-01-01T00:00Z", "--until", "2026-01-02T00:00Z", "--operator", "dana",
                "--reason", "drill", "--dry-run", "--db", db, "--home", str(tmp_path / "home")]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "DRY RUN (nothing changed)" in result.output and "nothing in the window" in result.output
        as_json = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)
        assert as_json["items"] == [] and as_json["batch_id"] is None and len(as_json["plan_hash"]) == 64
        swapped = [*args[:2], "2026-01-03T00:00Z", *args[3:]]
        refused = CliRunner().invoke(app, swapped)
        assert refused.exit_code == 1 and "until must be after since" in refused.output
