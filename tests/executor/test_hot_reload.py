"""Change control without restarts: new catalog and policy versions are picked up; broken ones never open."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings
from executor.policy_control import PolicyControl
from executor.states import RequestState
from tests.executor.conftest import AGENT, OPERATOR, credit
from tests.helpers import LoopThread


@pytest.fixture
def deployment(tmp_path: Path, billing: Any) -> Iterator[Callable[..., Any]]:
    """Stewards reading their own copies of the catalog and the policy (edited by the tests); closed after."""
    from executor.service import Steward

    catalog, policy = tmp_path / "catalog", tmp_path / "policy.yaml"
    if not catalog.exists():
        shutil.copytree(DEFAULT_CATALOG_DIR, catalog)
        shutil.copy(DEFAULT_POLICY_PATH, policy)
    made: list[Any] = []

    def make(db_url: str, **settings: Any) -> Any:
        steward = Steward(Settings(db_url=db_url, home=tmp_path / "home", catalog_dir=catalog, policy_path=policy,
                                   **settings))
        made.append(steward)
        return steward

    yield make
    for steward in made:
        steward.close()


def loosen(path: Path) -> None:
    """Edit the policy in place: small credits run alone up to $30."""
    path.write_text(path.read_text().replace("params.amount_cents <= 2500", "params.amount_cents <= 3000"))


def types(steward: Any, *names: str) -> list[Any]:
    return list(steward.audit.entries(types=list(names)))


class TestFiles:
    def test_edited_policy_file_decides_after_a_check(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """An edited policy file becomes the active version at the next check, audited as policy.loaded."""
        steward = deployment(db_url)
        before = steward.policy.version
        assert steward.submit(credit("ACC-000040", 2800), AGENT)[0].action_class == "human_approved"
        loosen(tmp_path / "policy.yaml")
        assert steward.reloader.check() is True
        assert steward.policy.version != before
        loaded = types(steward, "policy.loaded")[-1].payload
        assert loaded["version"] == steward.policy.version and loaded["previous"] == before
        rec, _ = steward.submit(credit("ACC-000041", 2800), AGENT)
        assert (rec.action_class, rec.policy_version) == ("autonomous", steward.policy.version)
        assert steward.reloader.check() is False  # nothing changed since

    def test_checks_are_throttled(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """maybe() reads the sources at most every every_s; check() always does."""
        steward = deployment(db_url)
        steward.reloader.every_s = 3600.0
        steward.reloader.check()
        loosen(tmp_path / "policy.yaml")
        assert steward.reloader.maybe() is False
        steward.reloader.every_s = 0.0
        assert steward.reloader.maybe() is True

    def test_broken_policy_keeps_the_previous_one(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """A policy file that does not load is reported once; the previous policy keeps deciding, nothing opens."""
        steward = deployment(db_url)
        before = steward.policy.version
        path = tmp_path / "policy.yaml"
        good = path.read_text()
        path.write_text(good.replace("rules:", "rules: [", 1))  # a YAML syntax error: the file does not load
        assert steward.reloader.check() is False
        assert steward.policy.version == before
        failed = types(steward, "policy.load_failed")
        assert len(failed) == 1 and failed[0].payload["kept"] == before and failed[0].payload["problems"]
        steward.reloader.check()
        assert len(types(steward, "policy.load_failed")) == 1  # the same bad content is reported once
        huge, _ = steward.submit(credit("ACC-000042", 60000), AGENT)
        assert (huge.state, huge.error_code, huge.policy_version) == (RequestState.REJECTED, "forbidden", before)
        small, _ = steward.submit(credit("ACC-000043", 2800), AGENT)
        assert (small.action_class, small.policy_version) == ("human_approved", before)
        path.write_text(good.replace("params.amount_cents <= 2500", "params.amount_cents <= 3000"))
        assert steward.reloader.check() is True and steward.policy.version != before

    def test_pinned_policy_refuses_an_edit(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """With STEWARD_POLICY_SHA256 pinned, an edited file is refused: the pinned version stays."""
        from policies import load_policy

        version = load_policy(tmp_path / "policy.yaml").version
        steward = deployment(db_url, policy_sha256=version)
        loosen(tmp_path / "policy.yaml")
        assert steward.reloader.check() is False and steward.policy.version == version
        assert "pinned" in str(types(steward, "policy.load_failed")[-1].payload["problems"])

    def test_broken_catalog_keeps_the_previous_one(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """A catalog that does not load leaves the previous catalog and policy deciding; catalog.load_failed."""
        steward = deployment(db_url)
        catalog, policy = steward.catalog.version, steward.policy.version
        (tmp_path / "catalog" / "billing_console.yaml").write_text("targets: [\n")
        assert steward.reloader.check() is False
        assert (steward.catalog.version, steward.policy.version) == (catalog, policy)
        assert types(steward, "catalog.load_failed")[-1].payload["kept"] == catalog
        rec, _ = steward.submit(credit("ACC-000044", 500), AGENT)
        assert rec.state == RequestState.QUEUED and rec.catalog_version == catalog

    def test_edited_catalog_is_loaded_and_audited(self, deployment: Any, db_url: str, tmp_path: Path) -> None:
        """An edited catalog becomes the active version, audited as catalog.loaded; requests record it."""
        steward = deployment(db_url)
        before, pii = steward.catalog.version, steward._pii.fields
        with (tmp_path / "catalog" / "billing_console.yaml").open("a") as out:
            out.write("\n# reviewed\n")
        assert steward.reloader.check() is True and steward.catalog.version != before
        assert types(steward, "catalog.loaded")[-1].payload["previous"] == before
        assert steward._pii.fields >= pii
        rec, _ = steward.submit(credit("ACC-000045", 500), AGENT)
        assert rec.catalog_version == steward.catalog.version

    def test_promotion_in_another_process_is_picked_up(
        self, deployment: Any, db_url: str, tmp_path: Path
    ) -> None:
        """A promotion made through another Steward on the database decides here at the next check."""
        server, operator = deployment(db_url), deployment(db_url)
        candidate = tmp_path / "candidate.yaml"
        candidate.write_text(DEFAULT_POLICY_PATH.read_text() + "\n# reviewed\n")
        control = PolicyControl(operator)
        row, _ = control.start("shadow", candidate, percent=None, operator=OPERATOR, reason="r")
        assert server.reloader.check() is True and server.policies.mode == "shadow"
        control.promote(operator=OPERATOR, reason="r")
        assert server.reloader.check() is True
        assert server.policy.version == row.sha256 and server.policies.candidate is None


@pytest.mark.browser
class TestRunningWorker:
    @pytest.fixture
    def background(self, loop_thread: LoopThread, driver: Any) -> Iterator[Callable[[Any], Any]]:
        from executor.worker import Worker

        started: list[tuple[Any, Any]] = []

        def start(steward: Any) -> Any:
            worker = Worker(steward, driver, poll_s=0.2, lease_s=30)

            async def launch() -> Any:
                return asyncio.ensure_future(worker.run(grace_s=10))

            started.append((worker, loop_thread.run(launch())))
            return worker

        yield start
        for worker, task in started:
            loop_thread.loop.call_soon_threadsafe(worker.stop)

            async def join(t: Any = task) -> None:
                await t

            loop_thread.run(join())

    @staticmethod
    def _until(predicate: Callable[[], bool], limit_s: float = 30.0) -> None:
        deadline = time.monotonic() + limit_s
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {limit_s} s")
            time.sleep(0.05)

    def test_worker_picks_up_a_new_policy_and_survives_a_broken_one(
        self, deployment: Any, background: Any, tmp_path: Path, accounts: Any
    ) -> None:
        """A running worker loads an edited policy without restart; a broken edit keeps it, and requests still run."""
        steward = deployment(f"sqlite:///{tmp_path / 'w.db'}")
        steward.reloader.every_s = 0.5
        background(steward)
        before = steward.policy.version
        path = tmp_path / "policy.yaml"
        loosen(path)
        self._until(lambda: steward.policy.version != before)
        loosened = steward.policy.version
        assert types(steward, "policy.loaded")[-1].payload["version"] == loosened

        path.write_text("rules: [\n")
        self._until(lambda: bool(types(steward, "policy.load_failed")))
        assert steward.policy.version == loosened
        rec, _ = steward.submit(credit(accounts.take(), 2800), AGENT)
        assert (rec.action_class, rec.policy_version) == ("autonomous", loosened)
        self._until(lambda: steward.get(rec.id).terminal, 60)
        assert steward.get(rec.id).state == RequestState.SUCCEEDED
