"""The browser backend: protocols, the Playwright implementation, confinement."""

from executor.browser.confine import BlockedRequest, Confinement
from executor.browser.driver import ActionSession, BrowserDriver
from executor.browser.launch import find_chromium, launch_args

__all__ = ["ActionSession", "BlockedRequest", "BrowserDriver", "Confinement", "find_chromium", "launch_args"]
