"""The web console: three static files served at /console, talking to the API with the user's key.

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
_FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
}


def _serve(name: str) -> Response:
    filename, media_type = _FILES[name]
    body = resources.files("executor.api.console").joinpath(filename).read_bytes()
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/console")
def console_page() -> Response:
    """The console's page."""
    return _serve("")


@router.get("/console/app.js")
def console_script() -> Response:
    """The console's script."""
    return _serve("app.js")


@router.get("/console/app.css")
def console_style() -> Response:
    """The console's style sheet."""
    return _serve("app.css")
