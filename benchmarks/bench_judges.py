"""Judge throughput: sequential calls (as the authors' release makes them) vs grit's LLM judge.

Runs a loopback OpenAI-compatible server (grit.judges.fake_server) that answers every call after
``--latency`` seconds, then judges ``--n`` distinct answers three ways through the real ``openai``
client: one call after another (the release's loop), grit's judge at ``--concurrency`` with an
empty cache, and grit's judge again with the warm cache (a re-run). Offline; prints a table and
optionally writes the figures as JSON.

    python benchmarks/bench_judges.py                 # 1,000 judgments, 100 ms latency, 32 in flight
    python benchmarks/bench_judges.py --n 200 --json out.json

Targets (issue 4): concurrent >= 20x faster than sequential; warm re-run makes zero requests and
takes under 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

import openai

from grit.judges import JudgeRequest
from grit.judges.fake_server import FakeOpenAIServer
from grit.judges.llm import LLMJudge
from grit.judges.prompt import build_judge_prompt, parse_score

KEY_ENV = "GRIT_BENCH_JUDGE_KEY"


class ServerProcess:
    """The fake server in its own process (as a real judge server is): no GIL shared with the client."""

    def __init__(self, latency: float) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "grit.judges.fake_server", "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()

    def _stats(self, method: str) -> dict[str, int]:
        request = urllib.request.Request(
            f"{self.base_url}/_stats", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    @property
    def requests(self) -> int:
        return self._stats("GET")["requests"]

    @property
    def max_in_flight(self) -> int:
        return self._stats("GET")["max_in_flight"]

    def reset_counters(self) -> None:
        self._stats("POST")

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(10)


@contextlib.contextmanager
def serve(latency: float, in_process: bool) -> Iterator[FakeOpenAIServer | ServerProcess]:
    if in_process:
        with FakeOpenAIServer(latency=latency) as server:
            yield server
        return
    server = ServerProcess(latency)
    try:
        yield server
    finally:
        server.close()


def make_requests(n: int) -> list[JudgeRequest]:
    return [JudgeRequest(f"How many objects in image {i}?", str(i % 5), str((i * 7) % 5)) for i in range(n)]


def sequential(
    server: FakeOpenAIServer | ServerProcess, batch: list[JudgeRequest], model: str
) -> list[float | None]:
    """The release's way: a synchronous client, one call at a time."""
    client = openai.OpenAI(base_url=server.base_url, api_key="EMPTY", max_retries=0, timeout=30)
    scores = []
    for r in batch:
        prompt = build_judge_prompt(r.question, r.reference, r.prediction)
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=64
        )
        scores.append(parse_score(reply.choices[0].message.content))
    client.close()
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="judgments per run (default 1000)")
    parser.add_argument("--latency", type=float, default=0.1, help="server seconds per call (default 0.1)")
    parser.add_argument("--concurrency", type=int, default=32, help="grit judge concurrency (default 32)")
    parser.add_argument("--skip_sequential", action="store_true", help="skip the slow sequential baseline")
    parser.add_argument(
        "--in_process_server",
        action="store_true",
        help="run the fake server in this process (shares the GIL with the client: slower)",
    )
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    os.environ.setdefault(KEY_ENV, "bench-key")
    batch = make_requests(args.n)
    model = "bench-judge"
    figures: dict[str, object] = {
        "n": args.n,
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "openai": openai.__version__,
        "server": "in-process thread" if args.in_process_server else "separate process",
    }
    with serve(args.latency, args.in_process_server) as server, tempfile.TemporaryDirectory() as cache_dir:
        if not args.skip_sequential:
            start = time.perf_counter()
            seq_scores = sequential(server, batch, model)
            figures["sequential_s"] = time.perf_counter() - start
            figures["sequential_requests"] = server.requests
        server.reset_counters()

        def grit_judge() -> LLMJudge:
            return LLMJudge(
                model=model,
                base_url=server.base_url,
                api_key_env=KEY_ENV,
                concurrency=args.concurrency,
                cache_dir=cache_dir,
                timeout=30,
            )

        cold = grit_judge()
        start = time.perf_counter()
        cold_scores = [v.score for v in cold.judge_batch(batch)]
        figures["grit_cold_s"] = time.perf_counter() - start
        figures["grit_cold_requests"] = server.requests
        figures["grit_cold_max_in_flight"] = server.max_in_flight
        figures["grit_cold_failures"] = cold.stats.failures
        server.reset_counters()

        warm = grit_judge()
        start = time.perf_counter()
        warm_scores = [v.score for v in warm.judge_batch(batch)]
        figures["grit_warm_s"] = time.perf_counter() - start
        figures["grit_warm_requests"] = server.requests
        figures["grit_warm_cache_hits"] = warm.stats.cache_hits

    assert cold_scores == warm_scores, "warm cache changed a score"
    if not args.skip_sequential:
        assert seq_scores == cold_scores, "grit judge disagrees with the sequential loop"
        figures["speedup_cold_vs_sequential"] = figures["sequential_s"] / figures["grit_cold_s"]
    figures["ideal_cold_s"] = args.n / args.concurrency * args.latency

    print(
        f"{args.n} judgments, {args.latency * 1000:.0f} ms per call, {os.cpu_count()} CPUs (shared), "
        f"server in {figures['server']}"
    )
    if not args.skip_sequential:
        print(
            f"  sequential (release)      {figures['sequential_s']:8.2f} s  {figures['sequential_requests']} requests"
        )
    print(
        f"  grit, concurrency {args.concurrency:<3}    {figures['grit_cold_s']:8.2f} s  "
        f"{figures['grit_cold_requests']} requests, max {figures['grit_cold_max_in_flight']} in flight"
        f"  (ideal {figures['ideal_cold_s']:.2f} s)"
    )
    print(
        f"  grit, warm cache          {figures['grit_warm_s']:8.2f} s  {figures['grit_warm_requests']} requests"
    )
    if "speedup_cold_vs_sequential" in figures:
        print(f"  speed-up vs sequential    {figures['speedup_cold_vs_sequential']:8.1f} x")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
