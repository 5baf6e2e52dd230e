"""A tiny back-office for the commit-safety attacks: one form that records entries.

Served on a free loopback port from a thread. ``POST /entries`` stores the
reference and answers a page whose status line is built by JavaScript; with
``hostile=True`` that line holds a lone UTF-16 surrogate, the page text an
attacker would use to make the audit write after the commit fail.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["Ledger", "ledger_server"]

_FORM = """<!doctype html><html><head><title>New entry</title></head><body>
<h1>New entry</h1>
<form method="post" action="/entries">
<label for="ref">Reference</label><input id="ref" name="ref">
<button type="submit">Save entry</button>
</form></body></html>"""

_SAVED = """<!doctype html><html><head><title>Saved</title></head><body>
<p data-testid="status"></p>
<script>document.querySelector('[data-testid=status]').textContent = 'Saved ' + {suffix};</script>
</body></html>"""


class Ledger:
    """What the back-office committed: references in order, and the hostile switch."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.hostile = False
        self.lock = threading.Lock()


def _handler(ledger: Ledger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            return

        def _page(self, body: str, status: int = 200) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/entries/new":
                self._page(_FORM)
            elif self.path == "/entries":
                with ledger.lock:
                    rows = "".join(f'<li data-testid="entry">{html.escape(r)}</li>' for r in ledger.entries)
                self._page(f"<!doctype html><html><body><h1>Entries</h1><ul>{rows}</ul></body></html>")
            else:
                self._page("<!doctype html><html><body>not found</body></html>", 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            with ledger.lock:
                ledger.entries.append(form.get("ref", [""])[0])
                hostile = ledger.hostile
            self._page(_SAVED.replace("{suffix}", "String.fromCharCode(0xD800)" if hostile else "'ok'"))

    return Handler


@contextmanager
def ledger_server() -> Iterator[tuple[str, Ledger]]:
    """(base URL, ledger) of a server on a free loopback port, for the block."""
    ledger = Ledger()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ledger))
    thread = threading.Thread(target=server.serve_forever, name="ledger", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", ledger
    finally:
        server.shutdown()
        server.server_close()
