"""A container's stop signal: ``steward worker`` drains on SIGTERM and exits 0 (the manifests' grace period)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


class TestStopSignal:
    def test_sigterm_drains_and_exits_cleanly(self, tmp_path: Path) -> None:
        """SIGTERM to a running worker stops it the graceful way: it says it finished and exits 0."""
        code = "from executor.cli import main; main()"
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", code, "worker", "--db", f"sqlite:///{tmp_path / 's.db'}", "--home",
                 str(tmp_path / "home")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 90
                while "worker.started" not in log.read_text():
                    assert proc.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "the worker never started"
                    time.sleep(0.1)
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(60) == 0, log.read_text()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        text = log.read_text()
        assert "worker.stopped" in text and "worker finished 0 request(s)" in text
