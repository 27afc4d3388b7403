"""GRPO-GR rewards against hand-computed paper values, the release variants, TRL/verl entry points."""

from __future__ import annotations

import math

import pytest

from grit.judges.base import ExactMatchJudge, Judgment
from grit.rewards import (
    PAPER,
    RELEASE,
    answer_reward,
    bleu1,
    compute_score,
    compute_score_batch,
    count_reward,
    format_reward,
    get_preset,
    make_reward_funcs,
    make_total_reward,
    repetition_score,
    score_batch,
    score_completion,
)

HOW_MANY = "How many chairs are there?"
J2 = '{"bbox_2d": [10, 20, 30, 40], "label": "chair"}, {"bbox_2d": [50, 20, 80, 40], "label": "chair"}'

# (completion, reference, question, question_type, expected format, count, answer) -- paper values.
TABLE = [
    # full chain, JSON boxes, right count, right answer: 1.0 + 0.5 | 0.5 | 1 + 0.1 * 1
    (
        f"<think> I see {J2}. </think> <rethink> 2 chairs. </rethink> <answer> 2 </answer>",
        "2",
        HOW_MANY,
        "count",
        1.5,
        0.5,
        1.1,
    ),
    # same, count wrong (3 expected) and answer wrong
    (
        f"<think> I see {J2}. </think> <rethink> 2 chairs. </rethink> <answer> 2 </answer>",
        "3",
        HOW_MANY,
        "count",
        1.5,
        0.0,
        0.0,
    ),
    # tuples, yes/no question: no count reward; answer "Yes." vs "yes"
    (
        "<think> cat (1, 2, 30, 40) dog (50, 60, 70, 80) </think><rethink> left </rethink><answer> Yes. </answer>",
        "yes",
        "Is the cat left of the dog?",
        "yes_no",
        1.5,
        0.0,
        1.1,
    ),
    # no <rethink>: boxes do not count (s_bf = 0, count = 0), think pair still well formed
    (f"<think> {J2} </think> <answer> 2 </answer>", "2", HOW_MANY, "count", 0.5, 0.0, 1.1),
    # missing </think>; boxes before <rethink> still count
    (
        "<think> [1, 2, 3, 4] <rethink> one </rethink> <answer> 1 </answer>",
        "1",
        HOW_MANY,
        "count",
        1.0,
        0.5,
        1.1,
    ),
    # no box at all
    (
        "<think> hmm </think><rethink> no idea </rethink><answer> 0 </answer>",
        "0",
        HOW_MANY,
        "count",
        1.0,
        0.5,
        1.1,
    ),
    # no <answer>: judge not called, answer 0
    ("<think> [1, 2, 3, 4] </think><rethink> one </rethink>", "1", HOW_MANY, "count", 1.5, 0.5, 0.0),
    # partial BLEU: hyp "the red cup" vs ref "red cup": p1 = 2/3, BP = 1; the judge drops articles
    (
        "<think> [1, 2, 3, 4] </think><rethink> r </rethink><answer> the red cup </answer>",
        "red cup",
        "What is on the table?",
        "open",
        1.5,
        0.0,
        1 + 0.1 * 2 / 3,
    ),
    # wrong open answer, some word overlap: hyp "blue cup" vs "red cup": p1 = 1/2, BP = 1
    (
        "<think> [1, 2, 3, 4] </think><rethink> r </rethink><answer> blue cup </answer>",
        "red cup",
        "What is on the table?",
        "open",
        1.5,
        0.0,
        0.1 * 1 / 2,
    ),
    # duplicated tags: think pair not well formed
    (
        "<think> a </think><think> [1,2,3,4] </think><rethink> r </rethink><answer> no </answer>",
        "no",
        "Is it?",
        "yes_no",
        1.0,
        0.0,
        1.1,
    ),
    # bare list with Qwen2-VL and InternVL syntax, 3 boxes, count right
    (
        "<think><|box_start|>(1,2),(3,4)<|box_end|> <ref>cup</ref><box>[[1, 2, 3, 4], [5, 6, 7, 8]]</box></think><rethink>3</rethink><answer>three</answer>",
        "3",
        HOW_MANY,
        "count",
        1.5,
        0.5,
        1.0,
    ),
]


@pytest.mark.parametrize(("completion", "ref", "q", "qt", "fmt", "cnt", "ans"), TABLE)
def test_paper_values(completion, ref, q, qt, fmt, cnt, ans):
    r = score_completion(completion, ref, q, qt, judge=ExactMatchJudge() if qt != "count" else None)
    assert (r.format, r.count) == (fmt, cnt)
    assert r.answer == pytest.approx(ans)
    assert r.total == pytest.approx(fmt + cnt + ans)
    kw = {"answer": [ref], "question": [q], "question_type": [qt]}
    assert format_reward(completions=[completion], **kw) == [fmt]
    assert count_reward(completions=[completion], **kw) == [cnt]
    judge = ExactMatchJudge() if qt != "count" else None
    assert make_reward_funcs(PAPER, judge)[2](completions=[completion], **kw)[0] == pytest.approx(ans)


def test_bleu1_hand_values():
    assert bleu1(["a"], ["a"]) == 1.0
    assert bleu1([], ["a"]) == 0.0
    assert bleu1(["x", "y"], ["a"]) == 0.0
    # hypothesis shorter than reference: BP = exp(1 - 3/2)
    assert bleu1(["red", "cup"], ["the", "red", "cup"]) == pytest.approx(math.exp(1 - 3 / 2))
    # clipping: "the the the" vs "the cat": 1/3, c > r so BP = 1
    assert bleu1(["the", "the", "the"], ["the", "cat"]) == pytest.approx(1 / 3)


def test_question_type_is_per_sample_and_detected_when_absent():
    comp = f"<think>{J2}</think><rethink>r</rethink><answer>2</answer>"
    out = count_reward(completions=[comp, comp], answer=["2", "no"], question=[HOW_MANY, "Is the chair red?"])
    assert out == [0.5, 0.0]


def test_release_variants():
    comp = f"<think>{J2}</think><rethink>r</rethink><answer> 2 </answer>"
    kw = {"answer": ["2", "2"], "question": [HOW_MANY, "Is it?"], "dataset": ["tallyqa", "vsr"]}
    # count decided for the whole batch from the first sample's dataset, worth 1.0
    assert make_reward_funcs(RELEASE)[1](completions=[comp, comp], **kw) == [1.0, 1.0]
    kw["dataset"] = ["vsr", "tallyqa"]
    assert make_reward_funcs(RELEASE)[1](completions=[comp, comp], **kw) == [0.0, 0.0]
    # BLEU on everything after <answer>: "2 answer" vs "2" -> p1 = 1/2, weight 0.5
    r = score_completion(comp, "2", HOW_MANY, config=RELEASE)
    assert r.bleu == pytest.approx(0.5) and r.answer == pytest.approx(1.0 + 0.5 * 0.5)
    assert r.answer_format == 0.5 and r.repetition == 0.5
    names = [f.__name__ for f in make_reward_funcs(RELEASE)]
    assert names == [
        "format_reward",
        "count_reward",
        "answer_reward",
        "repetition_reward",
        "answer_format_reward",
    ]
    assert get_preset("paper", count_value=1.0).count_value == 1.0


def test_repetition_score():
    assert repetition_score("short text") == 0.5
    looped = " ".join(["a b c d e f g h"] * 10)
    assert repetition_score(looped) < 0.1  # 0.5 * (1 - 65/72): most 8-grams repeat
    assert -0.5 <= repetition_score(looped, list(range(8)) * 10) < 0


class _Flaky:
    name = "flaky"

    def judge_batch(self, requests):
        return [Judgment(None, "timeout") if "bad" in r.prediction else Judgment(0.7, "ok") for r in requests]


def test_judge_failure_is_none_and_counted_never_zero():
    comps = ["<answer> bad </answer>", "<answer> good </answer>"]
    metrics = {}
    out = make_reward_funcs(PAPER, _Flaky())[2](
        completions=comps, answer=["x", "x"], question=["q", "q"], log_metric=metrics.__setitem__
    )
    assert out[0] is None and out[1] == pytest.approx(1.0)  # 0.7 -> binary_0.5 -> 1
    assert metrics == {"judge_failures": 1.0}
    total = make_total_reward(PAPER, _Flaky())(completions=comps, answer=["x", "x"], question=["q", "q"])
    assert total[0] is None and total[1] == pytest.approx(1.0)
    cont = score_batch(comps, ["x", "x"], config=get_preset("paper", judge_mode="continuous"), judge=_Flaky())
    assert cont[1].answer == pytest.approx(0.7)
    assert compute_score("vsr", comps[0], "x", judge=_Flaky())["judge_failed"] == 1.0


def test_verl_and_easyr1_entry_points():
    comp = f"<think>{J2}</think><rethink>r</rethink><answer>2</answer>"
    out = compute_score("tallyqa", comp, "2", {"question": HOW_MANY})
    assert out["score"] == pytest.approx(1.5 + 0.5 + 1.1) and out["judge_failed"] == 0.0
    batch = compute_score_batch([{"response": comp, "ground_truth": "2", "question": HOW_MANY}])
    assert batch[0]["overall"] == pytest.approx(3.1)


def test_conversational_completions():
    comp = [{"role": "assistant", "content": f"<think>{J2}</think><rethink>r</rethink><answer>2</answer>"}]
    assert format_reward(completions=[comp], answer=["2"]) == [1.5]
    assert answer_reward(completions=[comp], answer=["2"], question=[HOW_MANY])[0] == pytest.approx(1.1)
