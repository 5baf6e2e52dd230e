"""Finding and launching Chromium the way this project's machines need it."""

from __future__ import annotations

import atexit
import functools
import os
import shlex
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CHROMIUM_ARGS",
    "DISABLED_FEATURES",
    "PLAYWRIGHT_DISABLED_FEATURES",
    "browser_nice",
    "find_chromium",
    "gate_host_for",
    "launch_args",
    "launch_executable",
    "server_options",
]

# Chromium reads only the last --disable-features, which replaces Playwright's own list
# (playwright-core's chromiumSwitches.ts), so that list is repeated here; a test checks it
# against the installed Playwright. Ours: Autofill asks a Google service about every form,
# a call home the context's gate blocks and would record as noise in every audit trail.
PLAYWRIGHT_DISABLED_FEATURES: tuple[str, ...] = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
DISABLED_FEATURES: tuple[str, ...] = (*PLAYWRIGHT_DISABLED_FEATURES, "AutofillServerCommunication")

# Quiet, offline-friendly flags: no background calls home, no QUIC. The last two are
# part of origin confinement (executor.browser.confine): no shared workers (Playwright
# cannot route them), and WebRTC may send no UDP that bypasses the context's proxy.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-blink-features=SharedWorker",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)


def find_chromium() -> str | None:
    """STEWARD_CHROMIUM, else Debian's /usr/bin/chromium, else None (Playwright's own)."""
    explicit = os.environ.get("STEWARD_CHROMIUM")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    return found


def launch_executable() -> str | None:
    """The executable to launch: ``find_chromium()`` started below the worker's priority.

    Chromium does the heavy work; the worker that drives it is mostly idle but
    latency-bound (a kill switch, a lease, a step boundary must not queue behind
    a page being rendered). So Chromium starts ``STEWARD_BROWSER_NICE`` (default
    5, 0 to leave it) steps nicer than the worker, and when running as root
    without ``CAP_SYS_NICE``: Chromium raises its browser threads to nice -8
    wherever it may (as root it always may), above the worker. On a busy
    2-core machine that took a kill switch up to 600 ms to record on one node
    instead of 20 (docs/fleet.md). The launcher is a two-line script in a
    private temporary folder (``TMPDIR``); without ``setpriv`` (util-linux) as
    root, with nice 0 as another user, or when that folder is mounted noexec,
    Chromium is launched as found.
    """
    found = find_chromium()
    if found is None:
        return None
    nice = browser_nice()
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    setpriv = shutil.which("setpriv") if root else None
    if (root and setpriv is None) or (not root and nice == 0):
        return found
    return _launcher(found, nice, setpriv) or found


def _executable_folder() -> str | None:
    """A private temporary folder whose files may be executed (None when the file system is noexec)."""
    folder = tempfile.mkdtemp(prefix="steward-chromium-")
    if os.statvfs(folder).f_flag & getattr(os, "ST_NOEXEC", 0):
        shutil.rmtree(folder, ignore_errors=True)
        return None
    atexit.register(shutil.rmtree, folder, True)
    return folder


def browser_nice() -> int:
    """``STEWARD_BROWSER_NICE`` (0-19, default 5): how much nicer than the worker Chromium runs."""
    text = os.environ.get("STEWARD_BROWSER_NICE", "5").strip()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"STEWARD_BROWSER_NICE={text!r} is not a whole number from 0 to 19") from None
    if not 0 <= value <= 19:
        raise ValueError(f"STEWARD_BROWSER_NICE={value} is outside 0-19")
    return value


@functools.cache
def _launcher(executable: str, nice: int, setpriv: str | None) -> str | None:
    """A launcher script (in a private temporary folder, removed at exit): nicer, and without CAP_SYS_NICE.

    None when the temporary folder is on a noexec file system (set ``TMPDIR`` elsewhere to keep it).
    """
    folder = _executable_folder()
    if folder is None:
        return None
    command = ["exec"]
    if setpriv is not None:
        command += [shlex.quote(setpriv), "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", "--"]
    if nice:
        command += [shlex.quote(shutil.which("nice") or "nice"), "-n", str(nice)]
    command += [shlex.quote(executable), '"$@"']
    script = Path(folder) / "chromium"
    script.write_text("#!/bin/sh\n# Chromium below the worker's priority (executor/browser/launch.py).\n"
                      + " ".join(command) + "\n")
    script.chmod(0o700)
    return str(script)


def launch_args() -> list[str]:
    """Chromium flags; --no-sandbox only when running as root (it must, there)."""
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def server_options(*, host: str, port: int, ws_path: str, headless: bool = True) -> dict[str, Any]:
    """Playwright ``launchServer`` options for a remote browser server with this project's flags pinned.

    A remote worker cannot choose the flags of a browser it connects to (Playwright's
    ``run-server`` drops a client's ``args`` unless started ``--unsafe``, which would let
    any client name an executable), so the server itself launches Chromium with the
    same confinement flags a local worker uses: no shared workers, no non-proxied
    WebRTC UDP, no background calls home.
    """
    options: dict[str, Any] = {
        "headless": headless,
        "args": launch_args(),
        "host": host,
        "port": port,
        "wsPath": ws_path,
    }
    executable = launch_executable()
    if executable:
        options["executablePath"] = executable
    return options


def gate_host_for(ws_endpoint: str | None) -> str:
    """The address of this host that a browser at ``ws_endpoint`` reaches: where the network gates listen.

    Loopback for a local browser. For a remote one, the local address of the route
    to the browser server's host (a UDP "connect" sends nothing; it only picks the
    interface), so each worker of a fleet advertises its own address without
    configuration.
    """
    host = urlsplit(ws_endpoint).hostname if ws_endpoint else None
    if not host or host in ("127.0.0.1", "localhost", "::1"):
        return "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    infos = socket.getaddrinfo(host, 9, family, socket.SOCK_DGRAM)
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(infos[0][4])
        return str(probe.getsockname()[0])
