"""The web console at /console: a page, a style sheet and seven small scripts, a client of the API.

The page holds no server-side session. The operator or auditor pastes an API
key, which stays in the tab's sessionStorage and goes out only as a bearer
header to this origin, so the API's role checks are the console's role checks
and there is no cookie to forge a request with. A strict Content-Security-Policy
allows only this origin's script and style and no inline code; the script
builds the page with ``textContent``, never HTML strings. Images may also come
from ``blob:``: evidence screenshots are fetched with the key (an ``<img src>``
cannot send one) and shown from a blob URL the script made.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from executor.errors import NotFound

__all__ = ["SECURITY_HEADERS", "router"]

router = APIRouter(include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_SCRIPTS = ("core.js", "proof.js", "requests.js", "decisions.js", "audit.js", "rollback.js", "ops.js", "app.js")
_FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
    **{name: (name, "text/javascript; charset=utf-8") for name in _SCRIPTS},
}


def _serve(name: str) -> Response:
    filename, media_type = _FILES[name]
    body = resources.files("executor.api.console").joinpath(filename).read_bytes()
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/console")
def console_page() -> Response:
    """The console's page."""
    return _serve("")


@router.get("/console/{name}")
def console_file(name: str) -> Response:
    """One of the console's scripts or its style sheet; any other name is a 404."""
    if name not in _FILES or not name:
        raise NotFound(f"the console has no file {name[:80]!r}")
    return _serve(name)
