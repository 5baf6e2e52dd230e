"""Finding and launching Chromium the way this project's machines need it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "find_chromium", "launch_args"]

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


def launch_args() -> list[str]:
    """Chromium flags; --no-sandbox only when running as root (it must, there)."""
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args
