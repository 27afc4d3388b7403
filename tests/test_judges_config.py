"""Judge configuration: YAML mapping, CLI flags overlaying it, build_judge, no key in config."""

from __future__ import annotations

import argparse

import pytest

from grit.judges import JudgeRequest
from grit.judges.config import (
    JUDGE_KINDS,
    JudgeConfig,
    add_judge_arguments,
    build_judge,
    judge_config_from_args,
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_judge_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_follow_paper() -> None:
    config = JudgeConfig()
    assert config.model == "gpt-4o"
    assert config.score_mode == "continuous"
    assert config.api_key_env == "OPENAI_API_KEY"


def test_flags_overlay_base_config() -> None:
    base = JudgeConfig.from_dict({"kind": "llm", "model": "judge-a", "concurrency": 4})
    args = _parse(
        ["--judge_concurrency", "32", "--judge_base_url", "http://127.0.0.1:1/v1", "--judge_no_cache"]
    )
    config = judge_config_from_args(args, base)
    assert (config.kind, config.model, config.concurrency) == ("llm", "judge-a", 32)
    assert config.base_url == "http://127.0.0.1:1/v1"
    assert config.resolved_cache_dir() is None


def test_unset_flags_keep_defaults() -> None:
    assert judge_config_from_args(_parse([])) == JudgeConfig()
    assert judge_config_from_args(_parse(["--judge", "rules"])).kind == "rules"


@pytest.mark.parametrize("bad", [{"kind": "gpt"}, {"score_mode": "binary"}, {"concurrency": 0}, {"nope": 1}])
def test_invalid_config_is_refused(bad: dict) -> None:
    with pytest.raises((ValueError, TypeError)):
        JudgeConfig.from_dict(bad)


def test_literal_api_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        JudgeConfig.from_dict({"api_key": "sk-secret-123"})
    assert "sk-secret-123" not in str(info.value)


def test_cache_dir_default_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("GRIT_CACHE_DIR", str(tmp_path))
    assert JudgeConfig().resolved_cache_dir() == str(tmp_path / "judge")
    assert JudgeConfig(cache_dir="~/x").resolved_cache_dir().endswith("/x")


@pytest.mark.parametrize("kind", [k for k in JUDGE_KINDS if k != "llm"])
def test_build_rule_judges(kind: str) -> None:
    judge = build_judge({"kind": kind})
    [verdict] = judge.judge_batch([JudgeRequest("How many cats?", "2", "2")])
    assert verdict.score == 1.0
    assert verdict.reason


def test_llm_judge_from_flags(tmp_path) -> None:
    from grit.judges.llm import LLMJudge

    args = _parse(
        [
            "--judge", "llm", "--judge_model", "m", "--judge_base_url", "http://127.0.0.1:9/v1",
            "--judge_concurrency", "7", "--judge_timeout", "3", "--judge_max_retries", "1",
            "--judge_cache_dir", str(tmp_path), "--judge_score_mode", "binary_gt0",
        ]
    )  # fmt: skip
    judge = build_judge(judge_config_from_args(args))
    assert isinstance(judge, LLMJudge)
    assert (judge.model, judge.concurrency, judge.timeout, judge.max_retries) == ("m", 7, 3.0, 1)
    assert (judge.cache_dir, judge.score_mode) == (str(tmp_path), "binary_gt0")
