"""GRPO-GR rewards (PAPER.md §3) as plain functions, for TRL, verl/EasyR1 or your own loop.

Paper definitions (the defaults, preset ``"paper"``)::

    r        = r_format + r_count + r_ans
    r_format = s_st + s_bf
    s_st     = 0.5 [one well-formed <think></think> pair] + 0.5 [one well-formed <rethink></rethink> pair]
    s_bf     = 0.5 [a box before <rethink>]                      (0 without a <rethink>)
    r_count  = 0.5 [#boxes before <rethink> == gt count]         (count questions only, per sample)
    r_ans    = s_judge + 0.1 BLEU-1(answer text, reference)      (s_judge binarised at 0.5)

The authors' release differs (preset ``"release"``; every difference is a named field of
:class:`RewardConfig`): count worth 1.0 and decided for the whole batch from the *first* sample's
dataset name; judge binarised at ``> 0``; BLEU-1 on everything after ``<answer>`` (the closing tag
counts as a word) weighted 0.5; an extra n-gram repetition reward in [-0.5, 0.5]; an extra
``<answer>`` format reward worth up to 0.5.

A judge that fails (score ``None``) makes that sample's answer reward ``None``: TRL turns it into
NaN, which it excludes from the reward mean of that function (but see the note on
:func:`make_total_reward`). Failures are counted, never scored 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from grit.chain import ANSWER, Chain, completion_text, parse_chain
from grit.judges.base import Judge, JudgeRequest, Judgment, apply_score_mode

CountScope = Literal["per_sample", "first_sample_dataset"]
BleuText = Literal["answer", "after_answer_tag"]


@dataclass(frozen=True)
class RewardConfig:
    """Weights and variants of the GRPO-GR rewards. Defaults are the paper's."""

    format_weight: float = 1.0
    count_weight: float = 1.0
    answer_weight: float = 1.0
    # count reward: value when the box count is right, and how a sample is found to be a count question
    count_value: float = 0.5
    count_scope: CountScope = "per_sample"  # release: "first_sample_dataset"
    count_datasets: tuple[str, ...] = ("tallyqa",)  # release: dataset names whose batches are counted
    # answer reward
    judge_mode: str = "binary_0.5"  # paper training; release "binary_gt0"; evaluation "continuous"
    bleu_weight: float = 0.1  # release 0.5
    bleu_text: BleuText = "answer"  # release "after_answer_tag"
    # release-only extras
    repetition_reward: bool = False
    answer_format_reward: bool = False
    repetition_ngram: int = 8

    def __post_init__(self) -> None:
        from grit.judges.base import SCORE_MODES

        if self.judge_mode not in SCORE_MODES:
            raise ValueError(f"unknown judge_mode {self.judge_mode!r}; choose one of {SCORE_MODES}")
        if self.count_scope not in ("per_sample", "first_sample_dataset"):
            raise ValueError(f"unknown count_scope {self.count_scope!r}")
        if self.bleu_text not in ("answer", "after_answer_tag"):
            raise ValueError(f"unknown bleu_text {self.bleu_text!r}")


PAPER = RewardConfig()
RELEASE = RewardConfig(
    count_value=1.0,
    count_scope="first_sample_dataset",
    judge_mode="binary_gt0",
    bleu_weight=0.5,
    bleu_text="after_answer_tag",
    repetition_reward=True,
    answer_format_reward=True,
)
PRESETS: dict[str, RewardConfig] = {"paper": PAPER, "release": RELEASE}


def get_preset(name: str, **overrides: Any) -> RewardConfig:
    """A named preset (``paper`` or ``release``) with field ``overrides``."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown reward preset {name!r}; choose one of {sorted(PRESETS)}") from None
    return replace(base, **overrides) if overrides else base


# --- pieces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatScore:
    s_st: float
    s_bf: float

    @property
    def total(self) -> float:
        return self.s_st + self.s_bf


def format_score(chain: Chain) -> FormatScore:
    """``s_st`` and ``s_bf`` of a parsed chain; the chain's checks say why."""
    s_st = 0.5 * chain.think_ok + 0.5 * chain.rethink_ok
    return FormatScore(s_st, 0.5 if chain.n_boxes_before_rethink else 0.0)


_NON_WORD = re.compile(r"[^\w\s]|_")
_RELEASE_NON_WORD = re.compile(r"[^a-zA-Z0-9\s]")


def bleu_tokens(text: str) -> list[str]:
    """Lower-cased words with punctuation removed (the release's tokenisation, Unicode-aware)."""
    return _NON_WORD.sub(" ", text.lower()).split()


@lru_cache(maxsize=4096)
def _reference_tokens(text: str) -> tuple[str, ...]:
    # References repeat across the completions of a group: tokenise each once.
    return tuple(bleu_tokens(text))


def bleu1(hypothesis: Sequence[str], reference: Sequence[str]) -> float:
    """Sentence-level BLEU-1: clipped unigram precision x brevity penalty (as nltk, weights (1,0,0,0))."""
    c = len(hypothesis)
    if c == 0 or not reference:
        return 0.0
    if c == 1 and len(reference) == 1:
        return 1.0 if hypothesis[0] == reference[0] else 0.0
    ref_counts = Counter(reference)
    matches = sum(min(n, ref_counts[w]) for w, n in Counter(hypothesis).items())
    if matches == 0:
        return 0.0
    r = len(reference)
    bp = 1.0 if c > r else math.exp(1.0 - r / c)
    return bp * matches / c


def answer_bleu(completion: str, chain: Chain, reference: str, bleu_text: BleuText = "answer") -> float:
    """BLEU-1 of the answer against the reference; 0 without an ``<answer>``."""
    if bleu_text == "answer":
        if chain.answer is None:
            return 0.0
        return bleu1(bleu_tokens(chain.answer), _reference_tokens(reference))
    # Release: everything after the first <answer>, closing tag included; ASCII-only tokens.
    at = completion.find(ANSWER)
    if at < 0:
        return 0.0
    rest = completion[at + len(ANSWER) :]
    hyp = _RELEASE_NON_WORD.sub(" ", rest).lower().split()
    ref = _RELEASE_NON_WORD.sub(" ", reference).lower().split()
    return bleu1(hyp, ref)


@lru_cache(maxsize=4096)
def gt_count(answer: str) -> int | None:
    """The count a reference answer states ("3", "three"), or None."""
    from grit.data.question_types import parse_count_answer

    return parse_count_answer(str(answer))


def question_type_of(question: str, answer: str, given: str | None = None) -> str:
    """``given`` when set, else detected from the question and answer by ``grit.data``."""
    if given:
        return str(getattr(given, "value", given))
    from grit.data.question_types import detect_question_type

    kind = detect_question_type(question or "", answer or "")
    return str(getattr(kind, "value", kind))


def count_score(chain: Chain, answer: str, is_count: bool, value: float = 0.5) -> float:
    """``value`` when the boxes before ``<rethink>`` are as many as the reference count."""
    if not is_count or chain.rethink_at is None:
        return 0.0
    n = gt_count(answer)
    if n is None:
        return 0.0
    return value if chain.n_boxes_before_rethink == n else 0.0


def repetition_score(
    text: str, completion_ids: Sequence[int] | None = None, ngram: int = 8, pad_token_id: int | None = None
) -> float:
    """The release's repetition reward in [-0.5, 0.5]: 0.5 x (token score - word repetition).

    Word (and token) score = 1 - share of positions whose n-gram is immediately repeated.
    """
    words = text.split()
    word_score = 1.0
    if text and len(words) >= ngram:
        total = len(words) - ngram
        if total > 0:
            rep = sum(1 for j in range(total) if words[j : j + ngram] == words[j + ngram : j + 2 * ngram])
            word_score = 1.0 - rep / total
    token_score = 1.0
    if completion_ids is not None:
        ids = list(completion_ids)
        if pad_token_id is not None and pad_token_id in ids:
            ids = ids[: ids.index(pad_token_id)]
        if len(ids) >= 2 * ngram:
            total = len(ids) - 2 * ngram + 1
            rep = sum(1 for j in range(total) if ids[j : j + ngram] == ids[j + ngram : j + 2 * ngram])
            token_score = 1.0 - rep / total
    return (token_score - (1.0 - word_score)) * 0.5


def answer_format_score(text: str) -> float:
    """The release's ``<answer>`` format reward: 0.25 for an ``<answer>``, 0.5 for exactly one."""
    n = text.count(ANSWER)
    return 0.0 if n == 0 else (0.5 if n == 1 else 0.25)


# --- one sample, all rewards --------------------------------------------------------------------


@dataclass
class RewardBreakdown:
    """Every reward of one completion, weighted as configured, and why."""

    format: float
    s_st: float
    s_bf: float
    count: float
    answer: float | None  # None: the judge failed
    judge: float | None  # judge score after the score mode
    judge_raw: float | None
    judge_reason: str
    bleu: float
    question_type: str
    repetition: float | None = None
    answer_format: float | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total(self) -> float | None:
        """Sum of all rewards; ``None`` when the judge failed (the sample is not scorable)."""
        if self.answer is None:
            return None
        extra = (self.repetition or 0.0) + (self.answer_format or 0.0)
        return self.format + self.count + self.answer + extra

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "format": self.format,
            "s_st": self.s_st,
            "s_bf": self.s_bf,
            "count": self.count,
            "answer": self.answer,
            "judge": self.judge,
            "judge_raw": self.judge_raw,
            "judge_reason": self.judge_reason,
            "bleu1": self.bleu,
            "question_type": self.question_type,
            "repetition": self.repetition,
            "answer_format": self.answer_format,
        }


def _column(kwargs: dict[str, Any], name: str, n: int, default: Any = None) -> list[Any]:
    values = kwargs.get(name)
    if values is None:
        return [default] * n
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        return [values] * n
    return list(values)


def _is_count_flags(
    config: RewardConfig, questions: list[Any], answers: list[Any], qtypes: list[Any], datasets: list[Any]
) -> tuple[list[bool], list[str]]:
    kinds = [question_type_of(q or "", str(a), t) for q, a, t in zip(questions, answers, qtypes, strict=True)]
    if config.count_scope == "first_sample_dataset":
        first = str(datasets[0]) if datasets and datasets[0] is not None else ""
        on = first in config.count_datasets
        return [on] * len(answers), kinds
    return [k == "count" for k in kinds], kinds


def _judge(judge: Judge, requests: list[JudgeRequest]) -> list[Judgment]:
    if not requests:
        return []
    out = judge.judge_batch(requests)
    if len(out) != len(requests):
        raise RuntimeError(
            f"judge {getattr(judge, 'name', judge)!r} returned {len(out)} judgments for {len(requests)} requests"
        )
    return out


_DEFAULT_JUDGE: Judge | None = None


def default_judge() -> Judge:
    """The offline rule judge (``auto``: verifier by question type), built once."""
    global _DEFAULT_JUDGE
    if _DEFAULT_JUDGE is None:
        try:
            from grit.judges.config import JudgeConfig, build_judge

            _DEFAULT_JUDGE = build_judge(JudgeConfig(kind="auto", cache=False))
        except ImportError:  # pragma: no cover - judges module always ships
            from grit.judges.base import ExactMatchJudge

            _DEFAULT_JUDGE = ExactMatchJudge()
    return _DEFAULT_JUDGE


def score_batch(
    completions: Sequence[Any],
    answer: Sequence[str],
    question: Sequence[str] | None = None,
    question_type: Sequence[str | None] | None = None,
    dataset: Sequence[str | None] | None = None,
    completion_ids: Sequence[Sequence[int]] | None = None,
    config: RewardConfig = PAPER,
    judge: Judge | None = None,
) -> list[RewardBreakdown]:
    """All rewards of a batch, one :class:`RewardBreakdown` per completion (weights applied)."""
    n = len(completions)
    kw = {"question": question, "question_type": question_type, "dataset": dataset}
    questions = _column(kw, "question", n, "")
    qtypes = _column(kw, "question_type", n, None)
    datasets = _column(kw, "dataset", n, None)
    answers = [str(a) for a in answer]
    texts = [completion_text(c) for c in completions]
    chains = [parse_chain(t) for t in texts]
    is_count, kinds = _is_count_flags(config, questions, answers, qtypes, datasets)
    judgments = _judge(
        judge or default_judge(),
        [
            JudgeRequest(questions[i] or "", answers[i], chains[i].answer, kinds[i])
            for i in range(n)
            if chains[i].answer is not None
        ],
    )
    it = iter(judgments)
    out = []
    for i in range(n):
        chain, text = chains[i], texts[i]
        fs = format_score(chain)
        if chain.answer is None:
            jd: Judgment | None = Judgment(0.0, "no <answer>: not judged")
        else:
            jd = next(it)
        raw = jd.score
        s_judge = apply_score_mode(raw, config.judge_mode)
        bleu = answer_bleu(text, chain, answers[i], config.bleu_text)
        ans = None if s_judge is None else (s_judge + config.bleu_weight * bleu) * config.answer_weight
        rep = None
        if config.repetition_reward:
            ids = completion_ids[i] if completion_ids is not None else None
            rep = repetition_score(text, ids, config.repetition_ngram)
        out.append(
            RewardBreakdown(
                format=fs.total * config.format_weight,
                s_st=fs.s_st,
                s_bf=fs.s_bf,
                count=count_score(chain, answers[i], is_count[i], config.count_value) * config.count_weight,
                answer=ans,
                judge=s_judge,
                judge_raw=raw,
                judge_reason=jd.reason,
                bleu=bleu,
                question_type=kinds[i],
                repetition=rep,
                answer_format=answer_format_score(text) if config.answer_format_reward else None,
                checks={k: {"passed": c.passed, "reason": c.reason} for k, c in chain.checks.items()},
            )
        )
    return out


def score_completion(
    completion: Any,
    answer: str,
    question: str = "",
    question_type: str | None = None,
    dataset: str | None = None,
    config: RewardConfig = PAPER,
    judge: Judge | None = None,
) -> RewardBreakdown:
    """All rewards of one completion (see :func:`score_batch`)."""
    return score_batch(
        [completion], [answer], [question], [question_type], [dataset], config=config, judge=judge
    )[0]


# --- TRL reward functions ---------------------------------------------------------------------

RewardFunc = Callable[..., list[float | None]]


def _named(fn: RewardFunc, name: str, doc: str) -> RewardFunc:
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def make_reward_funcs(config: RewardConfig = PAPER, judge: Judge | None = None) -> list[RewardFunc]:
    """TRL reward functions for ``config``: format, count, answer (+ the release extras if enabled).

    Each has TRL's signature ``f(prompts, completions, **columns) -> list[float | None]`` and reads
    the dataset columns ``answer``, ``question``, ``question_type``, ``dataset`` (and
    ``completion_ids`` for the repetition reward). TRL logs each function's per-sample values in
    its completions table under the function's name.
    """
    funcs: list[RewardFunc] = [
        _named(
            lambda prompts=None, completions=(), **kw: _format_values(completions, config, kw),
            "format_reward",
            "GRPO-GR r_format = s_st + s_bf per completion.",
        ),
        _named(
            lambda prompts=None, completions=(), **kw: _count_values(completions, config, kw),
            "count_reward",
            "GRPO-GR r_count per completion (0 for non-count questions).",
        ),
        _named(
            lambda prompts=None, completions=(), **kw: _answer_values(completions, config, judge, kw),
            "answer_reward",
            "GRPO-GR r_ans = s_judge + bleu_weight * BLEU-1 per completion; None if the judge failed.",
        ),
    ]
    if config.repetition_reward:
        funcs.append(
            _named(
                lambda prompts=None, completions=(), completion_ids=None, **kw: [
                    repetition_score(
                        completion_text(c),
                        completion_ids[i] if completion_ids is not None else None,
                        config.repetition_ngram,
                    )
                    for i, c in enumerate(completions)
                ],
                "repetition_reward",
                "Authors' release: n-gram repetition reward in [-0.5, 0.5].",
            )
        )
    if config.answer_format_reward:
        funcs.append(
            _named(
                lambda prompts=None, completions=(), **kw: [
                    answer_format_score(completion_text(c)) for c in completions
                ],
                "answer_format_reward",
                "Authors' release: <answer> format reward in {0, 0.25, 0.5}.",
            )
        )
    return funcs


def _format_values(
    completions: Sequence[Any], config: RewardConfig, kw: dict[str, Any]
) -> list[float | None]:
    w = config.format_weight
    chains = [parse_chain(c) for c in completions]
    log_extra = kw.get("log_extra")
    if callable(log_extra):
        log_extra("format_problems", ["; ".join(ch.problems[:3]) for ch in chains])
    return [
        w * (0.5 * ch.think_ok + 0.5 * ch.rethink_ok + (0.5 if ch.n_boxes_before_rethink else 0.0))
        for ch in chains
    ]


def _count_values(completions: Sequence[Any], config: RewardConfig, kw: dict[str, Any]) -> list[float | None]:
    n = len(completions)
    answers = [str(a) for a in _column(kw, "answer", n, "")]
    is_count, _ = _is_count_flags(
        config,
        _column(kw, "question", n, ""),
        answers,
        _column(kw, "question_type", n, None),
        _column(kw, "dataset", n, None),
    )
    w = config.count_weight * config.count_value
    out: list[float | None] = []
    for c, a, flag in zip(completions, answers, is_count, strict=True):
        out.append(count_score(parse_chain(c), a, flag, 1.0) * w if flag else 0.0)
    return out


def _answer_values(
    completions: Sequence[Any], config: RewardConfig, judge: Judge | None, kw: dict[str, Any]
) -> list[float | None]:
    n = len(completions)
    answers = [str(a) for a in _column(kw, "answer", n, "")]
    questions = _column(kw, "question", n, "")
    qtypes = _column(kw, "question_type", n, None)
    chains = [parse_chain(c) for c in completions]
    texts = [ch.text for ch in chains]
    todo = [i for i in range(n) if chains[i].answer is not None]
    judgments = _judge(
        judge or default_judge(),
        [JudgeRequest(questions[i] or "", answers[i], chains[i].answer or "", qtypes[i]) for i in todo],
    )
    scores: list[float | None] = [0.0] * n
    for i, jd in zip(todo, judgments, strict=True):
        scores[i] = apply_score_mode(jd.score, config.judge_mode)
    out: list[float | None] = []
    failures = 0
    for i in range(n):
        s = scores[i]
        if s is None:
            failures += 1
            out.append(None)
            continue
        b = answer_bleu(texts[i], chains[i], answers[i], config.bleu_text)
        out.append((s + config.bleu_weight * b) * config.answer_weight)
    log_metric = kw.get("log_metric")
    if callable(log_metric):
        log_metric("judge_failures", float(failures))
    return out


def make_total_reward(config: RewardConfig = PAPER, judge: Judge | None = None) -> RewardFunc:
    """One TRL reward function returning the total ``r``; ``None`` when the judge failed.

    Why: TRL sums reward functions with ``nansum``, so with separate functions a failed judge only
    drops the answer term and the sample still trains on format + count. A single function that
    returns ``None`` makes TRL exclude the whole sample from the group baseline (advantage 0).
    The components are logged with ``log_extra`` (per sample) and ``log_metric`` (means).
    """

    def total_reward(prompts=None, completions=(), completion_ids=None, **kw: Any) -> list[float | None]:
        n = len(completions)
        rows = score_batch(
            completions,
            [str(a) for a in _column(kw, "answer", n, "")],
            _column(kw, "question", n, ""),
            _column(kw, "question_type", n, None),
            _column(kw, "dataset", n, None),
            completion_ids,
            config=config,
            judge=judge,
        )
        log_extra, log_metric = kw.get("log_extra"), kw.get("log_metric")
        if callable(log_extra):
            for key in ("format", "count", "answer"):
                log_extra(f"reward_{key}", [getattr(r, key) for r in rows])
        if callable(log_metric):
            log_metric("judge_failures", float(sum(r.answer is None for r in rows)))
        return [r.total for r in rows]

    return total_reward


# Ready-made functions with the paper's settings and the default (offline rule) judge.
format_reward, count_reward, answer_reward = make_reward_funcs(PAPER)


# --- verl / EasyR1 --------------------------------------------------------------------------------


def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: str,
    extra_info: dict[str, Any] | None = None,
    config: RewardConfig = PAPER,
    judge: Judge | None = None,
) -> dict[str, float]:
    """verl's ``custom_reward_function`` signature: the GRPO-GR reward of one response.

    Returns ``{"score": total, "format", "count", "answer", "judge_failed"}``; verl logs the extra
    keys. ``extra_info`` may carry ``question`` and ``question_type``. verl cannot exclude a sample,
    so a failed judge gives ``score = format + count`` with ``judge_failed = 1`` (visible, not silent).
    """
    info = extra_info or {}
    r = score_completion(
        solution_str,
        str(ground_truth),
        question=str(info.get("question", "") or ""),
        question_type=info.get("question_type"),
        dataset=data_source,
        config=config,
        judge=judge,
    )
    failed = r.answer is None
    extra = (r.repetition or 0.0) + (r.answer_format or 0.0)
    return {
        "score": r.format + r.count + (r.answer or 0.0) + extra,
        "format": r.format,
        "count": r.count,
        "answer": 0.0 if r.answer is None else r.answer,
        "judge_failed": 1.0 if failed else 0.0,
    }


def compute_score_batch(
    reward_inputs: Sequence[dict[str, Any]], config: RewardConfig = PAPER, judge: Judge | None = None
) -> list[dict[str, float]]:
    """EasyR1's batch reward signature: ``reward_inputs`` rows with ``response`` and ``ground_truth``
    (and optionally ``question``, ``question_type``, ``data_source``); returns ``overall`` plus parts."""
    rows = score_batch(
        [r.get("response", "") for r in reward_inputs],
        [str(r.get("ground_truth", "")) for r in reward_inputs],
        [r.get("question", "") for r in reward_inputs],
        [r.get("question_type") for r in reward_inputs],
        [r.get("data_source") for r in reward_inputs],
        config=config,
        judge=judge,
    )
    out = []
    for r in rows:
        extra = (r.repetition or 0.0) + (r.answer_format or 0.0)
        out.append(
            {
                "overall": r.format + r.count + (r.answer or 0.0) + extra,
                "format": r.format,
                "count": r.count,
                "answer": 0.0 if r.answer is None else r.answer,
                "judge_failed": 1.0 if r.answer is None else 0.0,
            }
        )
    return out


__all__ = [
    "PAPER",
    "PRESETS",
    "RELEASE",
    "FormatScore",
    "RewardBreakdown",
    "RewardConfig",
    "answer_bleu",
    "answer_format_score",
    "answer_reward",
    "bleu1",
    "bleu_tokens",
    "compute_score",
    "compute_score_batch",
    "count_reward",
    "count_score",
    "format_reward",
    "format_score",
    "get_preset",
    "make_reward_funcs",
    "make_total_reward",
    "repetition_score",
    "score_batch",
    "score_completion",
]
