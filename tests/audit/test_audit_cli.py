"""`steward audit ...` commands and `steward bench audit`, driven through Typer's runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from _audit_support import tamper
from typer.testing import CliRunner

from audit import AuditLog, hash_value, load_pii_key, open_engine
from executor.cli.audit_cmds import app
from executor.cli.bench_cmds import bench_audit

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private STEWARD_HOME."""
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def cli_db(db_url: str, engine: object, home: Path) -> Iterator[str]:
    """A database with two actions' worth of events."""
    eng = open_engine(db_url)
    log = AuditLog(eng)
    for action_id in ("req_1", "req_2"):
        log.append("request.received", actor="agent:a", action_id=action_id, payload={
            "action": "issue_credit", "target": "billing_console", "params": {"amount_cents": 1500},
            "requester": "agent:a", "context": {}, "params_hash": "x"})
        log.append("commit.started", actor="worker", action_id=action_id)
        log.append("request.succeeded", actor="worker", action_id=action_id,
                   payload={"from": "executing", "to": "succeeded"})
    log.close()
    eng.dispose()
    yield db_url


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


class TestLiveCommands:
    """Commands against a live database."""

    def test_checkpoint_then_verify(self, cli_db: str, home: Path) -> None:
        """checkpoint creates the key on first use; verify then checks its signature."""
        code, out, err = run("checkpoint", "--db", cli_db)
        assert code == 0 and "created signing key" in err and "\n6\n" in out
        assert (home / "keys" / "audit.key").exists() and (home / "checkpoints" / "latest.checkpoint").exists()
        code, out, _ = run("verify", "--db", cli_db)
        assert code == 0 and out.startswith("ok: 6 entries") and "1 checkpoint(s) verified" in out
        code, out, _ = run("verify", "--db", cli_db, "--json")
        assert code == 0 and json.loads(out)["ok"] is True

    def test_verify_failure_names_the_seq(self, cli_db: str, home: Path) -> None:
        """A row changed behind the triggers: exit 1, one error line naming the first bad seq."""
        run("checkpoint", "--db", cli_db)
        engine = open_engine(cli_db)
        tamper(engine, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4")
        engine.dispose()
        code, out, err = run("verify", "--db", cli_db)
        assert code == 1 and "seq 4" in out
        assert err.count("\n") == 1 and err.startswith("error: ") and "first bad seq 4" in err

    def test_show_proof_consistency(self, cli_db: str, home: Path) -> None:
        """show, proof and consistency print verified results."""
        run("checkpoint", "--db", cli_db)
        code, out, _ = run("show", "req_2", "--db", cli_db)
        assert code == 0 and "issue_credit on billing_console" in out and "3/3 entries proven" in out
        code, out, _ = run("proof", "4", "--db", cli_db, "--json")
        data = json.loads(out)
        assert code == 0 and data["verified"] and data["tree_size"] == 6
        code, out, _ = run("consistency", "2", "6", "--db", cli_db)
        assert code == 0 and "consistency proof verified" in out and "(signed)" in out

    def test_export_and_offline_verify(self, cli_db: str, home: Path, tmp_path: Path) -> None:
        """export, then verify --export with only the public key."""
        run("checkpoint", "--db", cli_db)
        code, out, _ = run("export", "--out", str(tmp_path / "x"), "--db", cli_db)
        assert code == 0 and "exported 6 entries" in out
        key = (home / "keys" / "audit.pub").read_text().strip()
        code, out, _ = run("verify", "--export", str(tmp_path / "x"), "--key", key)
        assert code == 0 and out.startswith("ok:")
        (tmp_path / "other").mkdir()
        code, _, err = run("verify", "--export", str(tmp_path / "x"), "--key", "other+00000000+AAAA")
        assert code == 1 and err.startswith("error:") and err.count("\n") == 1

    def test_affected(self, cli_db: str) -> None:
        """affected --json lists both committed actions."""
        code, out, _ = run("affected", "--since", "2000-01-01", "--db", cli_db, "--json")
        assert code == 0 and [a["action_id"] for a in json.loads(out)["actions"]] == ["req_1", "req_2"]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("show", "req_404"), "no audit entries for action req_404"),
            (("proof", "2"), "no checkpoint yet"),
            (("consistency", "4", "99"), "fewer than 99"),
            (("verify", "--export", "."), "needs the verifier key"),
        ],
    )
    def test_errors_are_one_line(self, cli_db: str, args: tuple[str, ...], message: str) -> None:
        """Every error is one line on stderr and exit code 1."""
        code, _, err = run(*args, "--db", cli_db) if args[0] != "verify" else run(*args)
        assert code == 1 and message in err and err.count("\n") == 1


class TestKeysAndHashes:
    """keygen and hash need no database."""

    def test_keygen_and_hash(self, home: Path) -> None:
        """keygen writes the key pair and the PII key; hash reproduces HmacFields."""
        code, out, _ = run("keygen")
        assert code == 0 and out.strip().splitlines()[-1].startswith("steward-audit+")
        key = load_pii_key(home / "keys" / "pii.key")
        code, out, _ = run("hash", "email", "alice@example.com")
        assert code == 0 and out.strip() == hash_value("email", "alice@example.com", key)
        code, out, _ = run("hash", "amount", "1500", "--json-value")
        assert out.strip() == hash_value("amount", 1500, key)
        code, _, err = run("keygen")
        assert code == 1 and "already exists" in err

    def test_unreachable_database(self, home: Path) -> None:
        """A database that cannot be reached is one error line too."""
        code, _, err = run("verify", "--db", "postgresql://postgres@127.0.0.1:1/nothing")
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1

    def test_missing_database(self, home: Path, tmp_path: Path) -> None:
        """A missing SQLite file is an error, not a new empty log."""
        code, _, err = run("verify", "--db", str(tmp_path / "nope.db"))
        assert code == 1 and "no database" in err and not (tmp_path / "nope.db").exists()


def test_bench_command(tmp_path: Path, pg_url: str) -> None:
    """`steward bench audit` at a tiny scale writes its JSON results and a summary."""
    bench = typer.Typer()
    bench.command("audit")(bench_audit)
    bench.command("noop")(lambda: None)
    out = tmp_path / "audit.json"
    result = runner.invoke(bench, ["audit", "--entries", "3000", "--appends", "200", "--pg", pg_url,
                                   "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for key in ("sqlite_appends_per_s", "pg_4_writers_appends_per_s", "verify_entries_per_s",
                "inclusion_proof_ms_p50", "pass"):
        assert key in data
    assert len(data["verify_runs_entries_per_s"]) == 3
    assert isinstance(data["machine"]["cpu_steal_percent"], float)  # Linux: read from /proc/stat
    assert data["machine"]["cpu_model"] and isinstance(data["machine"]["cpu_sha_extensions"], bool)
    assert data["verify_entries_per_s"] == max(data["verify_runs_entries_per_s"])
    for when in ("start", "end"):  # the machine's speed, measured, so runs can be compared
        assert data["machine"][f"sha256_mb_per_s_at_{when}"] > 1
    assert "SQLite appends/s" in result.stdout and "MB/s at end" in result.stdout
