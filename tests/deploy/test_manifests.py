"""The deployment files under deploy/: they parse, hold the fleet's parts, probe real routes, run real commands.

Every ``steward ...`` command a manifest runs is parsed by the real CLI (the
Click command behind ``steward``) with its variables filled in: an unknown
command or flag, or a value a flag refuses, fails here rather than in a
cluster. Every probe's path is asked of the real server it points at.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from executor.cli._common import click_errors
from tests.helpers import settings_for

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
ERRORS = click_errors()  # the click Typer runs on (it vendors its own copy)
STEWARD_IMAGES = ("steward", "${STEWARD_IMAGE:-steward:0.1.0}")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _k8s() -> list[dict[str, Any]]:
    """Every Kubernetes object (the kustomization, which is kustomize's file, aside)."""
    paths = [p for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml"]
    return [d for path in paths for d in _documents(path)]


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _k8s() if d["kind"] == kind}


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"]["containers"])


def _fill(arg: str) -> str:
    """Kubernetes $(VAR) and compose ${VAR...} filled with a plausible value."""
    return re.sub(r"\$\((\w+)\)|\$\{(\w+)[^}]*\}", "placeholder", arg)


def _steward_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every steward command the manifests run."""
    found: list[tuple[str, list[str]]] = []
    for doc in _k8s():
        if doc["kind"] in ("Deployment", "Job", "StatefulSet"):
            for c in _containers(doc):
                if c["image"] in STEWARD_IMAGES:
                    found.append((f"k8s {doc['metadata']['name']}/{c['name']}", [_fill(a) for a in c["args"]]))
    for name, service in _compose()["services"].items():
        if service.get("image") in STEWARD_IMAGES:
            command = service["command"]
            argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
            found.append((f"compose {name}", [_fill(a) for a in argv]))
    return found


def _parse(argv: list[str]) -> Any:
    """Parse ``steward argv`` at its leaf command without running it; raises a usage error on anything refused."""
    import typer

    from executor.cli import app

    command: Any = typer.main.get_command(app)
    rest, path = list(argv), ["steward"]
    while hasattr(command, "commands"):  # a group: the manifests pass no group-level options
        assert rest and rest[0] in command.commands, f"no command {' '.join(path + rest[:1])}"
        path.append(rest[0])
        command, rest = command.commands[rest[0]], rest[1:]
    return command.make_context(" ".join(path), rest)


class TestSyntax:
    def test_every_file_parses(self) -> None:
        """Every YAML file under deploy/ is valid YAML and every Kubernetes document names its kind."""
        files = sorted(DEPLOY.rglob("*.yaml"))
        assert len(files) >= 8
        for path in files:
            assert _documents(path), path
        for doc in _k8s():
            assert {"apiVersion", "kind", "metadata"} <= set(doc), doc

    def test_kustomization_lists_every_manifest(self) -> None:
        """kubectl apply -k applies every manifest in deploy/k8s, and nothing missing."""
        listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
        present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        assert listed == present


class TestFleetLayout:
    def test_kubernetes_parts(self) -> None:
        """PostgreSQL, the migration job, Deployments of API servers, workers and browser servers, their Services."""
        deployments, services = _by_kind("Deployment"), _by_kind("Service")
        assert {"steward-api", "steward-worker", "steward-browser"} <= set(deployments)
        assert {"steward-api", "steward-browser", "steward-postgres"} <= set(services)
        assert "steward-postgres" in _by_kind("StatefulSet")
        job = _by_kind("Job")["steward-migrate"]
        assert _containers(job)[0]["args"] == ["db", "upgrade"]
        for name, deployment in deployments.items():
            selector = deployment["spec"]["selector"]["matchLabels"]
            assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items(), name

    def test_workers_use_the_browser_servers(self) -> None:
        """Workers connect to the browser Service's port on the browser servers' secret path."""
        worker = _containers(_by_kind("Deployment")["steward-worker"])[0]["args"]
        browser = _containers(_by_kind("Deployment")["steward-browser"])[0]["args"]
        port = _by_kind("Service")["steward-browser"]["spec"]["ports"][0]["port"]
        endpoint = worker[worker.index("--ws-endpoint") + 1]
        assert endpoint == f"ws://steward-browser:{port}/$(STEWARD_BROWSER_PATH)"
        assert browser[browser.index("--path") + 1] == "/$(STEWARD_BROWSER_PATH)"

    def test_api_and_workers_share_one_home(self) -> None:
        """API servers and workers mount the same ReadWriteMany claim as their home (keys, evidence)."""
        claim = _by_kind("PersistentVolumeClaim")["steward-home"]
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
        for name in ("steward-api", "steward-worker"):
            spec = _by_kind("Deployment")[name]["spec"]["template"]["spec"]
            assert spec["volumes"][0]["persistentVolumeClaim"]["claimName"] == "steward-home"
            env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
            assert env["STEWARD_HOME"] == spec["containers"][0]["volumeMounts"][0]["mountPath"]

    def test_compose_parts(self) -> None:
        """compose.yaml: PostgreSQL, the migration first, then API servers and workers; browser servers."""
        services = _compose()["services"]
        assert {"postgres", "migrate", "api", "worker", "browser"} <= set(services)
        assert services["migrate"]["command"] == ["db", "upgrade"]
        for name in ("api", "worker"):
            assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "--no-workers" in services["api"]["command"]


class TestCommands:
    def test_every_command_exists_with_its_flags(self) -> None:
        """Each steward command in the manifests parses in the real CLI: command, flags and values."""
        commands = _steward_commands()
        assert {argv[0] for _, argv in commands} >= {"db", "serve", "worker", "browser-server"}
        for where, argv in commands:
            try:
                _parse(argv)
            except ERRORS.ClickException as exc:
                pytest.fail(f"{where}: steward {' '.join(argv)}: {exc.format_message()}")

    def test_a_wrong_flag_would_be_caught(self) -> None:
        """The check has teeth: a flag the CLI does not have is refused."""
        with pytest.raises(ERRORS.NoSuchOption):
            _parse(["worker", "--browsers", "3"])
        with pytest.raises(ERRORS.BadParameter):
            _parse(["worker", "--concurrency", "0"])
        with pytest.raises(AssertionError, match="no command steward db downgrade"):
            _parse(["db", "downgrade"])


def _probes(container: dict[str, Any]) -> list[dict[str, Any]]:
    return [container[k] for k in ("readinessProbe", "livenessProbe") if k in container]


def _port_of(container: dict[str, Any], port: Any) -> int:
    if isinstance(port, int):
        return port
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == port)


class TestProbes:
    def test_every_workload_has_both_probes(self) -> None:
        """Every container of every Deployment and StatefulSet has a readiness and a liveness probe."""
        for kind in ("Deployment", "StatefulSet"):
            for name, workload in _by_kind(kind).items():
                for c in _containers(workload):
                    assert len(_probes(c)) == 2, f"{name}/{c['name']}"

    def test_http_probes_answer_on_the_real_servers(self, tmp_path: Path) -> None:
        """The API's and the worker's probe paths, on the ports they listen on, answer 200 from the real servers."""
        from executor.api import create_app
        from executor.health import HealthServer
        from executor.service import Steward

        steward = Steward(settings_for(f"sqlite:///{tmp_path / 'probe.db'}", tmp_path / "home"))
        try:
            api = _containers(_by_kind("Deployment")["steward-api"])[0]
            worker = _containers(_by_kind("Deployment")["steward-worker"])[0]
            api_port = int(api["args"][api["args"].index("--port") + 1])
            worker_port = int(worker["args"][worker["args"].index("--metrics-port") + 1])
            with TestClient(create_app(steward, workers=0)) as client:
                for probe in _probes(api):
                    assert _port_of(api, probe["httpGet"]["port"]) == api_port
                    assert client.get(probe["httpGet"]["path"]).status_code == 200, probe
            with HealthServer(steward, port=0) as server:
                import httpx

                for probe in _probes(worker):
                    assert _port_of(worker, probe["httpGet"]["port"]) == worker_port
                    assert httpx.get(server.url + probe["httpGet"]["path"]).status_code == 200, probe
            for name in ("api", "worker"):
                check = " ".join(_compose()["services"][name]["healthcheck"]["test"])
                port = api_port if name == "api" else worker_port
                assert f"http://127.0.0.1:{port}/readyz" in check
        finally:
            steward.close()
