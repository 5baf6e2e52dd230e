"""A loopback server speaking the OpenAI Chat Completions protocol, replaying scripted model turns.

It is a stand-in for a hosted model, not for the client library: the real
``openai`` package talks to it over HTTP. ``POST /v1/chat/completions``
answers with a ``chat.completion`` object, or, when the request says
``"stream": true``, with ``chat.completion.chunk`` events over SSE ending in
``data: [DONE]``, tool-call arguments split across chunks as real servers do.

A turn is ``{"content": str}`` or ``{"tool_calls": [(name, arguments), ...]}``,
or a function of the request body returning one (to read ids from earlier
tool results). Every request body is kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Turn = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


def last_tool_result(body: dict[str, Any]) -> dict[str, Any]:
    """The newest tool message's JSON in a request body."""
    for message in reversed(body["messages"]):
        if message["role"] == "tool":
            out: dict[str, Any] = json.loads(message["content"])
            return out
    raise AssertionError("no tool result in the conversation")


class ScriptedChatServer:
    """Serve ``turns`` in order; one per request. Use as a context manager; ``base_url`` ends in /v1."""

    def __init__(self, turns: list[Turn]) -> None:
        self.turns = list(turns)
        self.requests: list[dict[str, Any]] = []
        self._calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions" or self.headers.get("Authorization") != "Bearer test-key":
                    self.send_response(404)
                    self.end_headers()
                    return
                server.requests.append(body)
                if not server.turns:
                    self._json(500, {"error": {"message": "script exhausted", "type": "server_error"}})
                    return
                turn = server.turns.pop(0)
                reply = turn(body) if callable(turn) else turn
                server._calls += 1
                if body.get("stream"):
                    self._stream(body["model"], reply)
                else:
                    self._json(200, server.completion(body["model"], reply))

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, reply: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for chunk in server.chunks(model, reply):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def _calls_of(self, reply: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": f"call_{self._calls}_{i}", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(args)}}
                for i, (name, args) in enumerate(reply.get("tool_calls", []))]

    def completion(self, model: str, reply: dict[str, Any]) -> dict[str, Any]:
        calls = self._calls_of(reply)
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content"), "refusal": None}
        if calls:
            message["tool_calls"] = calls
        return {"id": f"chatcmpl-{self._calls}", "object": "chat.completion", "created": 1_700_000_000,
                "model": model, "choices": [{"index": 0, "message": message, "logprobs": None,
                                             "finish_reason": "tool_calls" if calls else "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    def chunks(self, model: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": f"chatcmpl-{self._calls}", "object": "chat.completion.chunk", "created": 1_700_000_000,
                    "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                 "finish_reason": finish}]}

        out = [chunk({"role": "assistant", "content": ""})]
        text = reply.get("content") or ""
        for start in range(0, len(text), 12):
            out.append(chunk({"content": text[start:start + 12]}))
        calls = self._calls_of(reply)
        for index, call in enumerate(calls):
            args = call["function"]["arguments"]
            half = len(args) // 2
            out.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                              "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            for piece in (args[:half], args[half:]):
                out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        out.append(chunk({}, "tool_calls" if calls else "stop"))
        return out

    def __enter__(self) -> ScriptedChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
