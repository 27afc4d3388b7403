"""A small, real OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

Standard library only (asyncio streams, HTTP/1.1 with keep-alive), run in a background thread so
that synchronous test code can drive the real ``openai`` client against it. It misbehaves on
demand: latency, HTTP 429/500/503, garbage bodies, unparseable replies and hangs past any
timeout, and it counts requests and the most requests it had in flight at once.

    with FakeOpenAIServer(latency=0.1) as server:
        judge = LLMJudge(model="m", base_url=server.base_url, ...)
        server.script.extend(["429", "500"])   # the next two requests fail, then "ok"
        ...
        assert server.requests == 3

Actions for a request come from ``script`` (consumed in order), else ``action_fn(body)``, else
``default_action``: ``ok``, ``429``, ``500``, ``503``, ``400``, ``401``, ``garbage`` (HTTP 200,
non-JSON body), ``unparseable`` (a valid completion whose text holds no score), ``hang``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import threading
from collections.abc import Callable
from typing import Any

_STANDARD = re.compile(r"^Standard answer: (.*)$", re.MULTILINE)
_MODEL = re.compile(r"^Model\u2019s answer: (.*)$", re.MULTILINE)


def prompt_text(body: dict[str, Any]) -> str:
    """All text parts of the request's messages, joined: what a judge model would read."""
    parts: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(parts)


def exact_match_reply(body: dict[str, Any]) -> str:
    """Default judge behaviour: ``{score: 1}`` when the model's answer equals the standard answer."""
    text = prompt_text(body)
    standard, model = _STANDARD.search(text), _MODEL.search(text)
    if not standard or not model:
        return "{score: 0}"
    same = standard.group(1).strip().lower() == model.group(1).strip().lower()
    return "{score: 1}" if same else "{score: 0}"


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}


class FakeOpenAIServer:
    """An OpenAI chat-completions endpoint with controllable failures (see module docstring)."""

    def __init__(
        self,
        latency: float = 0.0,
        reply_fn: Callable[[dict[str, Any]], str] = exact_match_reply,
        default_action: str = "ok",
        action_fn: Callable[[dict[str, Any]], str | None] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.latency = latency
        self.reply_fn = reply_fn
        self.default_action = default_action
        self.action_fn = action_fn
        self.retry_after = retry_after
        self.script: collections.deque[str] = collections.deque()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.actions: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset_counters(self) -> None:
        self.requests = self.max_in_flight = 0
        self.actions.clear()
        self.bodies.clear()
        self.authorizations.clear()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._run, name="fake-openai-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _shutdown(self) -> None:
        assert self._server is not None and self._loop is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        loop = self._loop
        loop.call_later(0.05, loop.stop)

    # -- HTTP ----------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload, extra = await self._respond(request_line, headers, body)
                writer.write(_http_response(status, payload, extra))
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.CancelledError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _respond(
        self, request_line: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        method, path, *_ = request_line.split(" ")
        if path.rstrip("/").endswith("/_stats"):  # counters, for a server in another process
            if method == "POST":
                self.reset_counters()
            counters = {"requests": self.requests, "max_in_flight": self.max_in_flight}
            return 200, json.dumps(counters).encode(), {}
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            return 404, _error("not found"), {}
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return 400, _error("invalid JSON"), {}
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.bodies.append(body)
        self.authorizations.append(headers.get("authorization", ""))
        try:
            action = self.script.popleft() if self.script else None
            if action is None and self.action_fn is not None:
                action = self.action_fn(body)
            action = action or self.default_action
            self.actions.append(action)
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._perform(action, body)
        finally:
            self.in_flight -= 1

    async def _perform(self, action: str, body: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        if action == "hang":
            await asyncio.sleep(3600)
        if action in ("429", "500", "503", "400", "401", "404"):
            extra = {"retry-after": str(self.retry_after)} if action == "429" and self.retry_after else {}
            return int(action), _error(f"fake {action}"), extra
        if action == "garbage":
            return 200, b"<html>this is not json", {}
        text = "I cannot decide." if action == "unparseable" else self.reply_fn(body)
        completion = {
            "id": f"chatcmpl-fake-{self.requests}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return 200, json.dumps(completion).encode(), {}


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "fake_error", "code": None}}).encode()


def _http_response(status: int, payload: bytes, extra: dict[str, str]) -> bytes:
    reason = _REASONS.get(status, "Error")
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Connection: keep-alive",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


def main(argv: list[str] | None = None) -> None:
    """Serve until stdin closes: ``python -m grit.judges.fake_server --latency 0.1``.

    Prints the base URL on the first line. ``GET /v1/_stats`` returns the counters and
    ``POST /v1/_stats`` resets them. A server in its own process shares no GIL with the client,
    as a real judge server would.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Fake OpenAI chat-completions server on 127.0.0.1")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    with FakeOpenAIServer(latency=args.latency) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
