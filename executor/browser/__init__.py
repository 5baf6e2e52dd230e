"""The browser backend: protocols, the Playwright implementation, confinement, trace scrubbing."""

from executor.browser.confine import BlockedRequest, Confinement
from executor.browser.driver import ActionSession, BrowserDriver
from executor.browser.egress import EgressGate
from executor.browser.launch import find_chromium, launch_args
from executor.browser.trace_scrub import Sensitive, scrub_trace

__all__ = [
    "ActionSession",
    "BlockedRequest",
    "BrowserDriver",
    "Confinement",
    "EgressGate",
    "Sensitive",
    "find_chromium",
    "launch_args",
    "scrub_trace",
]
