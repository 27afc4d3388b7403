"""Judge configuration shared by every command that judges answers (``score``, ``eval``, ``train``).

One dataclass, loadable from a YAML mapping (``JudgeConfig.from_dict``) and from ``--judge_*``
command-line flags (``add_judge_arguments`` + ``judge_config_from_args``), and ``build_judge``.
The API key is never part of the configuration: only the *name* of the environment variable
that holds it (``api_key_env``), so a config can be printed, logged and saved safely.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from grit.judges.base import SCORE_MODES, ExactMatchJudge, Judge

# Rule kinds judge offline; ``rules`` is an alias of ``auto`` (route by question type).
RULE_KINDS = ("exact", "auto", "rules", "number", "yes_no", "multiple_choice", "math", "open")
JUDGE_KINDS = (*RULE_KINDS, "llm")


def default_cache_dir() -> str:
    """``$GRIT_CACHE_DIR/judge``, else ``$XDG_CACHE_HOME/grit/judge``, else ``~/.cache/grit/judge``."""
    if os.environ.get("GRIT_CACHE_DIR"):
        return os.path.join(os.environ["GRIT_CACHE_DIR"], "judge")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "grit", "judge")


@dataclass
class JudgeConfig:
    """How answers are judged. Defaults follow the paper (GPT-4o, continuous score at evaluation).

    kind: ``auto``/``rules`` (offline verifiers routed by question type), ``exact``, one verifier
    (``number``, ``yes_no``, ``multiple_choice``, ``math``, ``open``), or ``llm``.
    score_mode: ``continuous`` (paper, evaluation), ``binary_0.5`` (paper, training) or
    ``binary_gt0`` (authors' release).
    cache_dir: ``None`` = :func:`default_cache_dir`; ``cache=False`` turns the cache off.
    """

    kind: str = "auto"
    model: str = "gpt-4o"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api_version: str | None = None  # set for Azure OpenAI (base_url is then the Azure endpoint)
    timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    concurrency: int = 16
    cache: bool = True
    cache_dir: str | None = None
    score_mode: str = "continuous"
    temperature: float = 0.0
    max_tokens: int = 64

    def __post_init__(self) -> None:
        if self.kind not in JUDGE_KINDS:
            raise ValueError(f"unknown judge kind {self.kind!r}; choose one of {JUDGE_KINDS}")
        if self.score_mode not in SCORE_MODES:
            raise ValueError(f"unknown judge score mode {self.score_mode!r}; choose one of {SCORE_MODES}")
        if self.concurrency < 1:
            raise ValueError("judge concurrency must be >= 1")
        if self.timeout <= 0:
            raise ValueError("judge timeout must be > 0 seconds")
        if self.max_retries < 0:
            raise ValueError("judge max_retries must be >= 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgeConfig:
        """From a YAML mapping; unknown keys are an error, and a literal key is refused."""
        if "api_key" in data:
            raise ValueError(
                "judge config must not contain an API key; put it in an environment variable "
                "and name that variable with 'api_key_env'"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown judge config keys {unknown}; known: {sorted(known)}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def resolved_cache_dir(self) -> str | None:
        if not self.cache:
            return None
        return os.path.expanduser(self.cache_dir) if self.cache_dir else default_cache_dir()


# flag name -> (config field, type, help)
_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--judge": ("kind", str, "answer judge: " + ", ".join(JUDGE_KINDS) + " (default: auto)"),
    "--judge_model": ("model", str, "LLM judge model name (default: gpt-4o, as in the paper)"),
    "--judge_base_url": (
        "base_url",
        str,
        "OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: OpenAI)",
    ),
    "--judge_api_key_env": (
        "api_key_env",
        str,
        "environment variable holding the judge API key (default: OPENAI_API_KEY)",
    ),
    "--judge_api_version": ("api_version", str, "Azure OpenAI API version (switches to the Azure client)"),
    "--judge_timeout": ("timeout", float, "seconds per judge call (default: 30)"),
    "--judge_max_retries": ("max_retries", int, "retries per judge call (default: 4)"),
    "--judge_concurrency": ("concurrency", int, "judge calls in flight at once (default: 16)"),
    "--judge_cache_dir": ("cache_dir", str, "judge cache directory (default: ~/.cache/grit/judge)"),
    "--judge_score_mode": (
        "score_mode",
        str,
        "continuous (paper eval), binary_0.5 (paper training), binary_gt0 (authors' release)",
    ),
    "--judge_temperature": ("temperature", float, "LLM judge sampling temperature (default: 0)"),
    "--judge_max_tokens": ("max_tokens", int, "LLM judge reply token limit (default: 64)"),
}


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--judge*`` flags. Unset flags stay ``None`` so they can overlay a YAML config."""
    group = parser.add_argument_group("answer judge")
    for flag, (dest_field, kind, help_text) in _FLAGS.items():
        extra: dict[str, Any] = {}
        if dest_field == "kind":
            extra["choices"] = JUDGE_KINDS
        elif dest_field == "score_mode":
            extra["choices"] = SCORE_MODES
        group.add_argument(flag, dest=_dest(flag), type=kind, default=None, help=help_text, **extra)
    group.add_argument(
        "--judge_no_cache",
        dest="judge_no_cache",
        action="store_true",
        default=None,
        help="do not read or write the judge cache",
    )


def _dest(flag: str) -> str:
    return flag.lstrip("-")


def judge_config_from_args(args: argparse.Namespace, base: JudgeConfig | None = None) -> JudgeConfig:
    """``base`` (e.g. from YAML, else defaults) with every ``--judge*`` flag that was given applied."""
    values = (base or JudgeConfig()).to_dict()
    for flag, (dest_field, _, _) in _FLAGS.items():
        given = getattr(args, _dest(flag), None)
        if given is not None:
            values[dest_field] = given
    if getattr(args, "judge_no_cache", None):
        values["cache"] = False
    return JudgeConfig(**values)


def build_judge(config: JudgeConfig | Mapping[str, Any] | None = None) -> Judge:
    """The judge ``config`` describes (a ``JudgeConfig`` or its YAML mapping)."""
    if config is None:
        config = JudgeConfig()
    elif not isinstance(config, JudgeConfig):
        config = JudgeConfig.from_dict(config)
    kind = config.kind
    if kind == "exact":
        return ExactMatchJudge()
    if kind in ("auto", "rules"):
        from grit.judges.auto import AutoJudge

        return AutoJudge(name=kind)
    if kind == "llm":
        from grit.judges.llm import LLMJudge

        return LLMJudge.from_config(config)
    from grit.judges import rules

    single = {
        "number": rules.NumberJudge,
        "yes_no": rules.YesNoJudge,
        "multiple_choice": rules.MultipleChoiceJudge,
        "math": rules.MathJudge,
        "open": rules.OpenAnswerJudge,
    }
    return single[kind]()
