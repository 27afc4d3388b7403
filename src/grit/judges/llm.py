"""The LLM judge: the paper's prompt over any OpenAI-compatible chat-completions server.

Fast (bounded async concurrency), cheap to re-run (persistent cache keyed by model + full prompt,
identical requests in a batch sent once), and never silently wrong: a call that still fails after
its retries is a ``Judgment(None, reason)``, counted in :attr:`LLMJudge.stats`, never a 0.

The API key is read from the environment variable named by ``api_key_env`` when a client is made;
it is not stored on the judge, and never logged, cached or written anywhere by grit.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import io
import logging
import os
import random
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from grit.judges.base import JudgeRequest, Judgment, apply_score_mode
from grit.judges.cache import JudgeCache, cache_key
from grit.judges.prompt import JUDGE_PROMPT, build_judge_prompt, parse_score

logger = logging.getLogger(__name__)
T = TypeVar("T")


class JudgeConfigurationError(RuntimeError):
    """The judge cannot work at all (no key, wrong key, unknown model): fail loudly, not per call."""


@dataclass
class JudgeStats:
    """Counters for logging: every HTTP request, cache hit, retry and final failure."""

    judged: int = 0  # judgments returned (hits + calls + duplicates)
    requests: int = 0  # HTTP requests sent (attempts, including retries)
    cache_hits: int = 0
    deduplicated: int = 0  # identical requests in one batch answered by one call
    retries: int = 0
    failures: int = 0  # judgments that are None after all retries
    failure_reasons: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def fail(self, reason: str) -> None:
        with self._lock:
            self.failures += 1
            self.failure_reasons[reason] = self.failure_reasons.get(reason, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "judged": self.judged,
                "requests": self.requests,
                "cache_hits": self.cache_hits,
                "deduplicated": self.deduplicated,
                "retries": self.retries,
                "failures": self.failures,
                "failure_reasons": dict(self.failure_reasons),
            }

    def summary(self) -> str:
        d = self.as_dict()
        text = (
            f"judged {d['judged']}: {d['cache_hits']} cached, {d['requests']} requests "
            f"({d['retries']} retries), {d['failures']} failed"
        )
        if d["failure_reasons"]:
            text += " " + str(d["failure_reasons"])
        return text


@dataclass
class _Session:
    """Per event loop: an async client and the semaphore that bounds calls in flight."""

    client: Any
    semaphore: asyncio.Semaphore


@dataclass(frozen=True)
class MultimodalQuery:
    """A chat turn of text and images, in order. Images: PIL images, encoded bytes, or file paths."""

    parts: Sequence[Any]


@dataclass
class LLMJudge:
    """Judge answers with an LLM behind an OpenAI-compatible API (see module docstring)."""

    model: str = "gpt-4o"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api_version: str | None = None
    timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    concurrency: int = 16
    cache_dir: str | None = None
    score_mode: str = "continuous"
    temperature: float = 0.0
    max_tokens: int = 64
    prompt_template: str = field(default=JUDGE_PROMPT, repr=False)
    name: str = "llm"
    stats: JudgeStats = field(default_factory=JudgeStats)
    _cache: JudgeCache | None = field(default=None, init=False, repr=False)
    _sessions: dict[int, tuple[Any, _Session]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        apply_score_mode(None, self.score_mode)  # validates the mode
        if self.cache_dir:
            self._cache = JudgeCache(self.cache_dir)

    @classmethod
    def from_config(cls, config: Any) -> LLMJudge:
        """From a :class:`grit.judges.config.JudgeConfig`."""
        return cls(
            model=config.model,
            base_url=config.base_url,
            api_key_env=config.api_key_env,
            api_version=config.api_version,
            timeout=config.timeout,
            max_retries=config.max_retries,
            backoff_base=config.backoff_base,
            backoff_max=config.backoff_max,
            concurrency=config.concurrency,
            cache_dir=config.resolved_cache_dir(),
            score_mode=config.score_mode,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
        )

    # -- public API ------------------------------------------------------------------------------
    def judge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        """Synchronous batch (TRL reward functions); safe inside a running event loop too."""
        if not requests:
            return []
        return _run_sync(lambda: self._with_fresh_session(lambda s: self._judge_batch(s, requests)))

    async def ajudge_batch(self, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        """Async batch; concurrent calls on one event loop share the concurrency limit."""
        return await self._judge_batch(self._session(), requests)

    def judge(self, question: str, reference: str, prediction: str) -> Judgment:
        return self.judge_batch([JudgeRequest(question, reference, prediction)])[0]

    def ask_batch(
        self, queries: Sequence[MultimodalQuery], parse: Callable[[str], T | None] | None = None
    ) -> list[T | None]:
        """Multimodal chat calls (images as base64 data URLs); ``parse`` returning ``None`` retries."""
        if not queries:
            return []
        return _run_sync(lambda: self._with_fresh_session(lambda s: self._ask_batch(s, queries, parse)))

    async def aask_batch(
        self, queries: Sequence[MultimodalQuery], parse: Callable[[str], T | None] | None = None
    ) -> list[T | None]:
        return await self._ask_batch(self._session(), queries, parse)

    def messages_for(self, request: JudgeRequest) -> list[dict[str, Any]]:
        prompt = build_judge_prompt(
            request.question, request.reference, request.prediction, self.prompt_template
        )
        return [{"role": "user", "content": prompt}]

    # -- batches ---------------------------------------------------------------------------------
    async def _judge_batch(self, session: _Session, requests: Sequence[JudgeRequest]) -> list[Judgment]:
        replies = await self._complete_many(session, [self.messages_for(r) for r in requests], parse_score)
        judgments = []
        for value, reason in replies:
            if value is None:
                judgments.append(Judgment(None, reason))
                continue
            score = apply_score_mode(value, self.score_mode)
            mode = "" if self.score_mode == "continuous" else f" -> {score:g} ({self.score_mode})"
            judgments.append(Judgment(score, f"{reason}: score {value:g}{mode}"))
        return judgments

    async def _ask_batch(
        self, session: _Session, queries: Sequence[MultimodalQuery], parse: Callable[[str], T | None] | None
    ) -> list[T | None]:
        parser = parse or _non_empty
        messages = [[{"role": "user", "content": _content_parts(q.parts)}] for q in queries]
        return [value for value, _ in await self._complete_many(session, messages, parser)]

    async def _complete_many(
        self, session: _Session, messages: list[list[dict[str, Any]]], parse: Callable[[str], Any]
    ) -> list[tuple[Any, str]]:
        """(parsed value or None, reason) per message list: cache, de-duplication, then calls."""
        keys = [cache_key(self.model, m) for m in messages]
        cached = self._cache.get_many(keys) if self._cache else {}
        results: dict[str, tuple[Any, str]] = {}
        for key, reply in cached.items():
            value = parse(reply)
            if value is not None:
                results[key] = (value, "cached")
        todo = {k: m for k, m in zip(keys, messages, strict=True) if k not in results}
        hits = sum(1 for k in keys if k in results)
        self.stats.add(cache_hits=hits, deduplicated=len(keys) - hits - len(todo), judged=len(keys))
        if todo:
            outcomes = await asyncio.gather(*(self._call(session, m, parse) for m in todo.values()))
            for key, (value, reply, reason) in zip(todo, outcomes, strict=True):
                results[key] = (value, reason)
                if value is not None and self._cache is not None:
                    self._cache.put(key, self.model, reply)
        return [results[k] for k in keys]

    # -- one call with retries -------------------------------------------------------------------
    async def _call(
        self, session: _Session, messages: list[dict[str, Any]], parse: Callable[[str], Any]
    ) -> tuple[Any, str, str]:
        import openai

        last = "no attempt"
        retry_after: float | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.add(retries=1)
                await asyncio.sleep(self._backoff(attempt, retry_after))
                retry_after = None
            async with session.semaphore:
                self.stats.add(requests=1)
                try:
                    response = await asyncio.wait_for(
                        session.client.chat.completions.create(
                            model=self.model,
                            messages=messages,
                            temperature=self.temperature,
                            max_tokens=self.max_tokens,
                            timeout=self.timeout,
                        ),
                        timeout=self.timeout + 1.0,
                    )
                    reply = (response.choices[0].message.content or "") if response.choices else ""
                except (
                    openai.AuthenticationError,
                    openai.PermissionDeniedError,
                    openai.NotFoundError,
                ) as error:
                    raise JudgeConfigurationError(
                        f"judge server refused the request: HTTP {error.status_code} "
                        f"({type(error).__name__}); check the judge model {self.model!r}, base URL "
                        f"and the key in ${self.api_key_env}"
                    ) from None
                except openai.RateLimitError as error:
                    last, retry_after = "HTTP 429", _retry_after(error)
                    continue
                except openai.APIStatusError as error:
                    last = f"HTTP {error.status_code}"
                    if error.status_code < 500:  # a bad request will not get better by retrying
                        break
                    continue
                except (openai.APITimeoutError, asyncio.TimeoutError):
                    last = "timeout"
                    continue
                except openai.APIConnectionError:
                    last = "connection error"
                    continue
                except Exception as error:  # a garbage body: bad JSON, wrong schema
                    last = f"bad response ({type(error).__name__})"
                    continue
            value = parse(reply)
            if value is not None:
                return value, reply, f"{self.model}"
            last = f"unparseable reply {reply[:60]!r}"
        reason = f"judge failed after {attempt + 1} attempt(s): {last}"
        self.stats.fail(last.split(" '")[0] if last.startswith("unparseable") else last)
        logger.warning("%s", reason)
        return None, "", reason

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter; a server's Retry-After is honoured up to the cap."""
        delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    # -- clients ---------------------------------------------------------------------------------
    def _make_client(self) -> Any:
        import openai

        key = os.environ.get(self.api_key_env)
        if not key:
            if self.base_url is None and self.api_version is None:
                raise JudgeConfigurationError(
                    f"the LLM judge needs an API key in the environment variable ${self.api_key_env} "
                    "(or set a base URL for a local server that needs none)"
                )
            key = "EMPTY"  # local OpenAI-compatible servers (vLLM) accept any key
        if self.api_version is not None:
            return openai.AsyncAzureOpenAI(
                azure_endpoint=self.base_url or "",
                api_key=key,
                api_version=self.api_version,
                max_retries=0,
                timeout=self.timeout,
            )
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=key, max_retries=0, timeout=self.timeout)

    def _session(self) -> _Session:
        """The session of the running loop (made on first use; loops are kept weakly by id)."""
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(id(loop))
        if entry is None or entry[0] is not loop:
            entry = (loop, _Session(self._make_client(), asyncio.Semaphore(self.concurrency)))
            self._sessions = {k: v for k, v in self._sessions.items() if not v[0].is_closed()}
            self._sessions[id(loop)] = entry
        return entry[1]

    async def _with_fresh_session(self, work: Callable[[_Session], Awaitable[T]]) -> T:
        session = _Session(self._make_client(), asyncio.Semaphore(self.concurrency))
        try:
            return await work(session)
        finally:
            await session.client.close()

    async def aclose(self) -> None:
        """Close the clients made for async use on the running loop."""
        entry = self._sessions.pop(id(asyncio.get_running_loop()), None)
        if entry is not None:
            await entry[1].client.close()


def _run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _retry_after(error: Any) -> float | None:
    try:
        value = error.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, ValueError):
        return None


def _non_empty(reply: str) -> str | None:
    return reply.strip() or None


def image_to_data_url(image: Any) -> str:
    """A base64 ``data:`` URL for a PIL image (sent as PNG), encoded image bytes, or a file path."""
    if isinstance(image, str) and image.startswith("data:"):
        return image
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as handle:
            image = handle.read()
    if isinstance(image, (bytes, bytearray)):
        data = bytes(image)
        mime = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            mime = "image/webp"
    else:  # a PIL image
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data, mime = buffer.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _content_parts(parts: Sequence[Any]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, str) and not part.startswith("data:"):
            content.append({"type": "text", "text": part})
        else:
            content.append({"type": "image_url", "image_url": {"url": image_to_data_url(part)}})
    return content
