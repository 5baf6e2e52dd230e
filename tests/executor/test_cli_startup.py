"""CLI start-up: light commands import only what they use, and `status` reads one row as the service would show it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from executor.cli._lookup import read_request
from executor.errors import NotFound
from tests.helpers import settings_for

# Never needed to print help or to read one request.
HEAVY = ("playwright", "fastapi", "uvicorn", "cel", "sqlalchemy", "psycopg", "structlog", "yaml", "openai",
         "cryptography", "rich", "policies", "action_classes", "audit.log", "executor.service", "benchmarks")


def loaded_after(*args: str, watch: tuple[str, ...] = HEAVY) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the real entry point in a fresh interpreter; return its result and which ``watch`` modules it loaded."""
    code = (
        "import sys, json\n"
        f"sys.argv = ['steward', *{list(args)!r}]\n"
        "from executor.cli import main\n"
        "code = 0\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code if isinstance(exc.code, int) else 1\n"
        f"sys.stderr.write('LOADED=' + json.dumps(sorted(m for m in {watch!r} if m in sys.modules)) + '\\n')\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED="))
    return done, set(json.loads(line.removeprefix("LOADED=")))


def one_request(db_url: str, home: Path) -> tuple[Any, Any]:
    """A Steward service on ``db_url`` holding one submitted request."""
    from executor import Steward, SubmitRequest
    from executor.models import RequestContext

    steward = Steward(settings_for(db_url, home))
    body = SubmitRequest(action="issue_credit",
                         params={"account_id": "ACC-000042", "amount_cents": 1500, "reason": "late parcel"},
                         context=RequestContext(account_tier="pro", agent_confidence=0.9))
    rec, _ = steward.submit(body, "agent-1")
    return steward, rec


class TestLightImports:
    """The commands people run most start without the service, the browser, the API server or CEL."""

    def test_import_is_light(self) -> None:
        """Importing the CLI (and the executor package) loads none of the heavy dependencies."""
        code = (f"import sys, executor, executor.cli; bad = [m for m in {HEAVY!r} if m in sys.modules]; "
                "print(bad); sys.exit(1 if bad else 0)")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def test_help(self) -> None:
        """`steward --help` lists every command and loads nothing heavy, not even pydantic."""
        done, loaded = loaded_after("--help", watch=(*HEAVY, "pydantic"))
        assert "status" in done.stdout and "bench" in done.stdout and "audit" in done.stdout
        assert loaded == set()

    def test_status_reads_sqlite_lightly(self, tmp_path: Path) -> None:
        """`steward status ID` on SQLite prints the request without SQLAlchemy, CEL or the service."""
        steward, rec = one_request(f"sqlite:///{tmp_path / 's.db'}", tmp_path / "home")
        steward.close()
        done, loaded = loaded_after("status", rec.id, "--db", str(tmp_path / "s.db"), "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[0])["id"] == rec.id
        assert loaded == set()

    def test_status_through_server_loads_only_the_client(self) -> None:
        """`steward status ID --server URL` needs httpx and nothing of the local stack."""
        # httpx loads its own command line (click, rich) on import: that part is httpx's.
        watch = tuple(m for m in HEAVY if m != "rich")
        done, loaded = loaded_after("status", "req_x", "--server", "http://127.0.0.1:9", "--token", "t", watch=watch)
        assert done.returncode == 1 and "error:" in done.stderr
        assert loaded == set()


class TestStatusLookup:
    """The lean read shows exactly what the service shows, and never creates anything."""

    def test_same_view_as_the_service(self, db_url: str, tmp_path: Path) -> None:
        """read_request gives RequestRecord.public() of the same row, on SQLite and PostgreSQL."""
        steward, rec = one_request(db_url, tmp_path / "home")
        try:
            assert read_request(db_url, rec.id) == steward.get(rec.id).public()
        finally:
            steward.close()

    def test_cli_output_unchanged(self, tmp_path: Path) -> None:
        """`status --json` prints the service's view of the request, and the text form names state and class."""
        db = tmp_path / "s.db"
        steward, rec = one_request(f"sqlite:///{db}", tmp_path / "home")
        expected = steward.get(rec.id).public()
        steward.close()
        base = [sys.executable, "-c", "from executor.cli import main; main()", "status", rec.id, "--db", str(db)]
        as_json = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=120, check=True)
        assert json.loads(as_json.stdout) == json.loads(json.dumps(expected, sort_keys=True, default=str))
        text = subprocess.run(base, capture_output=True, text=True, timeout=120, check=True).stdout
        assert text.splitlines()[0] == f"{rec.id}  issue_credit  state={expected['state']}  class={expected['class']}"
        assert f"  ref: {expected['ref']}" in text.splitlines()
        assert f"  decision: {expected['decision']['explanation']}" in text.splitlines()

    def test_missing_request(self, db_url: str, tmp_path: Path) -> None:
        """An unknown id is NotFound."""
        steward, _ = one_request(db_url, tmp_path / "home")
        steward.close()
        with pytest.raises(NotFound, match="no request 'req_nope'"):
            read_request(db_url, "req_nope")

    def test_missing_database_is_not_created(self, tmp_path: Path) -> None:
        """A missing SQLite file, or one without the table, is NotFound and stays untouched."""
        missing = tmp_path / "none.db"
        with pytest.raises(NotFound):
            read_request(f"sqlite:///{missing}", "req_x")
        assert not missing.exists()
        empty = tmp_path / "empty.db"
        import sqlite3

        sqlite3.connect(empty).close()
        with pytest.raises(NotFound):
            read_request(f"sqlite:///{empty}", "req_x")


class TestUsageErrors:
    """Typer's own (vendored) click errors are the CLI's usage errors: exit 2 with a hint."""

    @pytest.mark.parametrize(("args", "hint"), [(["submit"], "steward submit --help"),
                                                (["nosuch"], "steward --help"),
                                                (["audit", "nosuch"], "steward audit --help")])
    def test_usage_error_exit_2(self, args: list[str], hint: str) -> None:
        """A missing argument or an unknown command is one line naming the help to read, exit 2."""
        done = subprocess.run([sys.executable, "-c", "from executor.cli import main; main()", *args],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and hint in done.stderr, done.stderr


class TestLeanRef:
    def test_same_ref_as_the_catalog(self) -> None:
        """The lean view's copy of request_ref gives exactly action_classes.request_ref."""
        from action_classes import request_ref
        from executor.store.view import request_ref as lean_ref

        for request_id in ("req_0001", "req_01a236c3a1b21ecbfed72300", "x" * 40):
            assert lean_ref(request_id) == request_ref(request_id)
