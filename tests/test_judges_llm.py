"""The LLM judge through the real ``openai`` client against a real loopback HTTP server that speaks
the chat-completions API (grit.judges.fake_server): retries, give-up to None, timeouts, cache,
de-duplication, the concurrency limit, score modes, async use, multimodal calls, key hygiene."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from grit.judges import JudgeRequest
from grit.judges.cache import JudgeCache
from grit.judges.config import JudgeConfig, build_judge
from grit.judges.fake_server import FakeOpenAIServer, prompt_text
from grit.judges.llm import JudgeConfigurationError, LLMJudge, MultimodalQuery
from grit.judges.prompt import JUDGE_PROMPT, build_judge_prompt, parse_score

SECRET = "sk-test-DO-NOT-LEAK-4f9a1c"
KEY_ENV = "GRIT_TEST_JUDGE_KEY"

PAPER_PROMPT = (
    "You are responsible for proofreading the answers, you need to give a score to the model’s answer "
    "by referring to the standard answer, based on the given question. The full score is 1 point and the "
    'minimum score is 0 points. Please output the score in the json form "{score: <score>}". The '
    "evaluation criteria require that the closer the model’s answer is to the standard answer, the "
    "higher the score.\nQuestion: {question}\nStandard answer: {answer}\nModel’s answer: {prediction}"
)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)


def make_judge(server: FakeOpenAIServer, tmp_path: Path | None = None, **kwargs) -> LLMJudge:
    settings = {
        "model": "judge-model",
        "base_url": server.base_url,
        "api_key_env": KEY_ENV,
        "timeout": 5.0,  # generous: a loaded CI machine must not turn slow replies into retries
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "concurrency": 8,
        "cache_dir": str(tmp_path / "cache") if tmp_path else None,
    }
    settings.update(kwargs)
    return LLMJudge(**settings)


def requests(n: int, wrong_every: int = 3) -> list[JudgeRequest]:
    return [
        JudgeRequest(f"How many cats? #{i}", str(i), str(i + 1) if i % wrong_every == 0 else str(i))
        for i in range(n)
    ]


# -- prompt and parsing ---------------------------------------------------------------------------
def test_prompt_is_the_papers_exactly(server: FakeOpenAIServer) -> None:
    assert JUDGE_PROMPT == PAPER_PROMPT
    assert JUDGE_PROMPT.count("\u2019") == 3
    make_judge(server).judge_batch([JudgeRequest("Is it red?", "yes", "Yes, it is.")])
    [body] = server.bodies
    assert body["model"] == "judge-model"
    assert body["messages"] == [
        {
            "role": "user",
            "content": PAPER_PROMPT.replace("{question}", "Is it red?")
            .replace("{answer}", "yes")
            .replace("{prediction}", "Yes, it is."),
        }
    ]


def test_prompt_filling_keeps_braces_literal() -> None:
    text = build_judge_prompt("q {answer}", "{prediction}", "{score: 1}")
    assert text.endswith("Question: q {answer}\nStandard answer: {prediction}\nModel’s answer: {score: 1}")


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("{score: 1}", 1.0),
        ("{score: 0}", 0.0),
        ("{score: 0.5}", 0.5),
        ('{"score": 1}', 1.0),
        ("{'score': '0.8'}", 0.8),
        ('```json\n{"score": 0}\n```', 0.0),
        ("{ score : 1.0 }", 1.0),
        ("Score: <0.7>", 0.7),
        ("**Score**: 1", 1.0),
        ("The score is 1.", 1.0),
        ("score: 8/10", 0.8),
        ("score: 4 out of 5", 0.8),
        ("1", 1.0),
        ("0.25", 0.25),
        ('The format is "{score: <score>}". {score: 0}', 0.0),
        ("{score: 5}", None),
        ("{score: -1}", None),
        ("I cannot decide.", None),
        ("", None),
        (None, None),
        ("score: 1/0", None),
    ],
)
def test_parse_score_variations(reply: str | None, score: float | None) -> None:
    assert parse_score(reply) == score


# -- retries and failures -------------------------------------------------------------------------
def test_retries_through_429_500_garbage_and_unparseable(server: FakeOpenAIServer) -> None:
    server.script.extend(["429", "500", "garbage", "unparseable"])
    judge = make_judge(server, max_retries=4)
    [verdict] = judge.judge_batch([JudgeRequest("q", "a", "a")])
    assert verdict.score == 1.0
    assert server.requests == 5
    assert server.actions == ["429", "500", "garbage", "unparseable", "ok"]
    assert judge.stats.retries == 4 and judge.stats.failures == 0


def test_gives_up_to_none_not_zero(server: FakeOpenAIServer) -> None:
    server.default_action = "500"
    judge = make_judge(server, max_retries=2)
    verdicts = judge.judge_batch([JudgeRequest("q", "a", "a"), JudgeRequest("q", "a", "b")])
    assert [v.score for v in verdicts] == [None, None]
    assert all(v.failed and "HTTP 500" in v.reason for v in verdicts)
    assert server.requests == 6
    assert judge.stats.failures == 2
    assert judge.stats.failure_reasons == {"HTTP 500": 2}


def test_unparseable_forever_is_none(server: FakeOpenAIServer) -> None:
    server.default_action = "unparseable"
    judge = make_judge(server, max_retries=1)
    [verdict] = judge.judge_batch([JudgeRequest("q", "a", "a")])
    assert verdict.score is None and "unparseable" in verdict.reason
    assert judge.stats.failure_reasons == {"unparseable reply": 1}


def test_hang_past_timeout_is_retried_then_none(server: FakeOpenAIServer) -> None:
    server.default_action = "hang"
    judge = make_judge(server, timeout=0.15, max_retries=1)
    start = time.perf_counter()
    [verdict] = judge.judge_batch([JudgeRequest("q", "a", "a")])
    assert verdict.score is None and "timeout" in verdict.reason
    assert server.requests == 2
    assert time.perf_counter() - start < 2.0


def test_hang_then_success(server: FakeOpenAIServer) -> None:
    server.script.append("hang")
    judge = make_judge(server, timeout=0.5)
    assert judge.judge_batch([JudgeRequest("q", "a", "a")])[0].score == 1.0
    assert server.actions == ["hang", "ok"]


def test_bad_request_is_not_retried(server: FakeOpenAIServer) -> None:
    server.script.append("400")
    judge = make_judge(server)
    [verdict] = judge.judge_batch([JudgeRequest("q", "a", "a")])
    assert verdict.score is None and "HTTP 400" in verdict.reason
    assert server.requests == 1


def test_wrong_key_fails_loudly_without_the_key(server: FakeOpenAIServer) -> None:
    server.default_action = "401"
    with pytest.raises(JudgeConfigurationError) as info:
        make_judge(server).judge_batch([JudgeRequest("q", "a", "a")])
    assert KEY_ENV in str(info.value) and SECRET not in str(info.value)


def test_missing_key_for_openai_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    judge = LLMJudge(api_key_env=KEY_ENV, cache_dir=None)
    with pytest.raises(JudgeConfigurationError, match=KEY_ENV):
        judge.judge_batch([JudgeRequest("q", "a", "a")])


def test_local_server_needs_no_key(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    assert make_judge(server).judge_batch([JudgeRequest("q", "a", "a")])[0].score == 1.0


def test_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    server.retry_after = 0.3
    server.script.append("429")
    judge = make_judge(server, backoff_max=1.0)
    start = time.perf_counter()
    assert judge.judge_batch([JudgeRequest("q", "a", "a")])[0].score == 1.0
    assert time.perf_counter() - start >= 0.3


# -- cache, de-duplication, concurrency ------------------------------------------------------------
def test_warm_cache_rerun_makes_zero_requests(server: FakeOpenAIServer, tmp_path: Path) -> None:
    batch = requests(30)
    first = make_judge(server, tmp_path).judge_batch(batch)
    assert server.requests == 30
    server.reset_counters()
    again = make_judge(server, tmp_path)  # a new process would build a new judge
    second = again.judge_batch(batch)
    assert server.requests == 0
    assert [v.score for v in second] == [v.score for v in first]
    assert again.stats.cache_hits == 30 and all(v.reason == "cached: score " + f"{v.score:g}" for v in second)


def test_cache_key_is_model_and_prompt(server: FakeOpenAIServer, tmp_path: Path) -> None:
    batch = requests(3)
    make_judge(server, tmp_path).judge_batch(batch)
    make_judge(server, tmp_path, model="other-judge").judge_batch(batch)
    assert server.requests == 6
    make_judge(server, tmp_path).judge_batch([JudgeRequest(batch[0].question, batch[0].reference, "changed")])
    assert server.requests == 7


def test_failures_are_not_cached(server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.default_action = "500"
    make_judge(server, tmp_path, max_retries=0).judge_batch([JudgeRequest("q", "a", "a")])
    server.default_action = "ok"
    assert make_judge(server, tmp_path).judge_batch([JudgeRequest("q", "a", "a")])[0].score == 1.0
    assert server.requests == 2


def test_repeated_rollouts_in_a_batch_cost_one_call(server: FakeOpenAIServer) -> None:
    batch = [JudgeRequest("q", "a", "a")] * 4 + [JudgeRequest("q", "a", "b")] * 4
    judge = make_judge(server)
    verdicts = judge.judge_batch(batch)
    assert [v.score for v in verdicts] == [1.0] * 4 + [0.0] * 4
    assert server.requests == 2 and judge.stats.deduplicated == 6


def test_concurrency_limit_is_respected_and_used(server: FakeOpenAIServer) -> None:
    server.latency = 0.1
    judge = make_judge(server, concurrency=4, timeout=2.0)
    start = time.perf_counter()
    judge.judge_batch(requests(20))
    elapsed = time.perf_counter() - start
    assert server.max_in_flight == 4
    assert 0.45 < elapsed < 2.0  # 5 waves of 0.1 s, not 20 sequential calls


def test_async_calls_share_the_concurrency_limit(server: FakeOpenAIServer) -> None:
    server.latency = 0.05
    judge = make_judge(server, concurrency=3, timeout=2.0)

    async def main() -> list[list]:
        try:
            return await asyncio.gather(*(judge.ajudge_batch(requests(5)[i : i + 1]) for i in range(5)))
        finally:
            await judge.aclose()

    results = asyncio.run(main())
    assert [r[0].score for r in results] == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert server.max_in_flight == 3


def test_sync_call_inside_a_running_event_loop(server: FakeOpenAIServer) -> None:
    judge = make_judge(server)

    async def inside() -> float | None:
        return judge.judge_batch([JudgeRequest("q", "a", "a")])[0].score

    assert asyncio.run(inside()) == 1.0


def test_cache_shared_by_threads_and_processes(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    cache = JudgeCache(directory)

    def write(prefix: str) -> None:
        for i in range(50):
            cache.put(f"{prefix}{i}", "m", "{score: 1}")

    threads = [threading.Thread(target=write, args=(f"t{n}-",)) for n in range(4)]
    script = (
        "import sys; from grit.judges.cache import JudgeCache\n"
        "c = JudgeCache(sys.argv[1])\n"
        "[c.put(f'p{sys.argv[2]}-{i}', 'm', '{score: 0}') for i in range(50)]\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(directory), str(n)]) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(30) == 0 for p in procs)
    assert len(cache) == 300
    assert cache.get("p1-49") == "{score: 0}"


# -- score modes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "mode", "expected"),
    [
        ("{score: 0.6}", "continuous", 0.6),
        ("{score: 0.6}", "binary_0.5", 1.0),
        ("{score: 0.3}", "binary_0.5", 0.0),
        ("{score: 0.3}", "binary_gt0", 1.0),
        ("{score: 0}", "binary_gt0", 0.0),
    ],
)
def test_score_modes(server: FakeOpenAIServer, reply: str, mode: str, expected: float) -> None:
    server.reply_fn = lambda body: reply
    [verdict] = make_judge(server, score_mode=mode).judge_batch([JudgeRequest("q", "a", "b")])
    assert verdict.score == expected


def test_build_judge_from_yaml_mapping(server: FakeOpenAIServer, tmp_path: Path) -> None:
    config = {
        "kind": "llm",
        "model": "judge-model",
        "base_url": server.base_url,
        "api_key_env": KEY_ENV,
        "concurrency": 5,
        "cache_dir": str(tmp_path),
        "score_mode": "binary_0.5",
    }
    judge = build_judge(config)
    assert isinstance(judge, LLMJudge) and judge.concurrency == 5 and judge.score_mode == "binary_0.5"
    assert judge.judge_batch([JudgeRequest("q", "a", "a")])[0].score == 1.0


# -- multimodal ------------------------------------------------------------------------------------
def test_multimodal_call_sends_data_urls_and_caches(server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.reply_fn = lambda body: "Image 2" if "which image" in prompt_text(body) else "?"
    red, blue = Image.new("RGB", (8, 8), "red"), Image.new("RGB", (8, 8), "blue")
    query = MultimodalQuery(["Image 1:", red, "Image 2:", blue, "which image matches the text?"])

    def pick(reply: str) -> int | None:
        return int(reply[-1]) if reply.strip()[-1:] in {"1", "2"} else None

    judge = make_judge(server, tmp_path)
    assert judge.ask_batch([query], parse=pick) == [2]
    content = server.bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in content] == ["text", "image_url", "text", "image_url", "text"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[1]["image_url"]["url"] != content[3]["image_url"]["url"]
    assert make_judge(server, tmp_path).ask_batch([query], parse=pick) == [2]
    assert server.requests == 1
    # A different image is a different prompt.
    other = MultimodalQuery(["Image 1:", blue, "Image 2:", red, "which image matches the text?"])
    judge.ask_batch([other], parse=pick)
    assert server.requests == 2


def test_multimodal_unparseable_is_none(server: FakeOpenAIServer) -> None:
    server.reply_fn = lambda body: "no idea"
    judge = make_judge(server, max_retries=1)
    assert judge.ask_batch([MultimodalQuery(["hi"])], parse=lambda r: None) == [None]
    assert server.requests == 2 and judge.stats.failures == 1


# -- the key never leaks ---------------------------------------------------------------------------
def test_key_never_in_logs_cache_reprs_or_errors(
    server: FakeOpenAIServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script.extend(["429", "500", "garbage", "hang"])
    judge = make_judge(server, tmp_path, timeout=0.15)
    judge.judge_batch(requests(6))
    server.default_action = "500"
    judge.judge_batch([JudgeRequest("fails", "a", "b")])
    server.default_action = "401"
    with pytest.raises(JudgeConfigurationError) as info:
        make_judge(server).judge_batch([JudgeRequest("q2", "a", "b")])
    assert server.authorizations[0] == f"Bearer {SECRET}"  # the key was really used
    texts = [caplog.text, repr(judge), str(judge.stats.as_dict()), str(info.value), repr(JudgeConfig())]
    texts += [repr(JudgeConfig.from_dict({"kind": "llm", "api_key_env": KEY_ENV}))]
    assert "judge failed" in caplog.text  # failures are logged ...
    assert all(SECRET not in t for t in texts)  # ... without the key
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files
    assert all(SECRET.encode() not in p.read_bytes() for p in files)
    assert os.environ[KEY_ENV] == SECRET


def test_empty_batch_needs_no_server() -> None:
    judge = LLMJudge(base_url="http://127.0.0.1:9/v1", cache_dir=None)
    assert judge.judge_batch([]) == [] and judge.ask_batch([]) == []


def test_server_counters_endpoint(server: FakeOpenAIServer) -> None:
    import json
    import urllib.request

    make_judge(server).judge_batch([JudgeRequest("q", "a", "a")])
    with urllib.request.urlopen(f"{server.base_url}/_stats", timeout=5) as response:
        assert json.loads(response.read()) == {"requests": 1, "max_in_flight": 1}
