"""Scoring throughput of the GRPO-GR rewards: format + count + answer (rule judge + BLEU-1).

10,000 realistic completions (paper-style chains: JSON boxes, tuples, Qwen2-VL and InternVL
syntax, missing tags, counts right and wrong, yes/no and open answers), scored through the TRL
reward functions in batches of 64, as GRPOTrainer calls them. Pin it to one core:

    taskset -c 1 .venv/bin/python benchmarks/bench_rewards.py
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from grit.chain import clear_parse_cache
from grit.rewards import PAPER, default_judge, make_reward_funcs


def make_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    nouns = ["cup", "chair", "dog", "cat", "car", "person", "bird", "book"]
    rows = []
    for i in range(n):
        noun = rng.choice(nouns)
        k = rng.randint(0, 4)

        def box() -> tuple[int, int, int, int]:
            x, y = rng.randint(0, 500), rng.randint(0, 400)
            return x, y, x + rng.randint(5, 200), y + rng.randint(5, 200)

        style = rng.randrange(4)
        if style == 0:
            boxes = ", ".join(
                f'{{"bbox_2d": [{", ".join(map(str, box()))}], "label": "{noun}"}}' for _ in range(k)
            )
        elif style == 1:
            boxes = " and ".join(str(box()) for _ in range(k))
        elif style == 2:
            boxes = " ".join(
                f"<|object_ref_start|>{noun}<|object_ref_end|><|box_start|>({b[0]},{b[1]}),({b[2]},{b[3]})<|box_end|>"
                for b in (box() for _ in range(k))
            )
        else:
            inner = ", ".join(f"[{', '.join(map(str, box()))}]" for _ in range(k))
            boxes = f"<ref>{noun}</ref><box>[{inner}]</box>" if k else ""
        kind = rng.random()
        if kind < 0.5:
            q, ans = f"How many {noun}s are there?", str(rng.choice([k, k, rng.randint(0, 4)]))
            pred, qt = str(k), "count"
        elif kind < 0.8:
            q, ans = f"Is the {noun} on the left of the table?", rng.choice(["yes", "no"])
            pred, qt = rng.choice(["Yes.", "no", "yes"]), "yes_no"
        else:
            q, ans = f"What is the {noun} next to?", "a wooden table"
            pred, qt = rng.choice(["the table", "a wooden table", "a red sofa by the window"]), "open"
        think = f"I need to find the {noun}s in the image. {boxes} They are near the window on the table."
        rethink = f"Based on the coordinates, there are {k} {noun}s, so the answer follows."
        tags = rng.random()
        if tags < 0.8:
            text = f"<think> {think} </think>\n<rethink> {rethink} </rethink>\n<answer> {pred} </answer>"
        elif tags < 0.9:
            text = f"<think> {think}\n<rethink> {rethink} </rethink>\n<answer> {pred}"
        else:
            text = f"{think} {rethink} <answer> {pred} </answer>"
        rows.append({"completion": f"{text} #{i}", "answer": ans, "question": q, "question_type": qt})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = make_rows(args.n)
    funcs = make_reward_funcs(PAPER, default_judge())
    batches = []
    for s in range(0, len(rows), args.batch):
        chunk = rows[s : s + args.batch]
        batches.append(
            (
                [r["completion"] for r in chunk],
                {k: [r[k] for r in chunk] for k in ("answer", "question", "question_type")},
            )
        )
    rates = []
    for _ in range(args.repeats):
        clear_parse_cache()  # every repeat parses every completion afresh
        t0 = time.perf_counter()
        for completions, cols in batches:
            for f in funcs:
                f(prompts=None, completions=completions, **cols)
        rates.append(len(rows) / (time.perf_counter() - t0))
    print(
        f"{len(rows)} completions, format + count + answer (rule judge '{default_judge().name}' + BLEU-1), "
        f"batch {args.batch}: median {statistics.median(rates):,.0f} completions/s "
        f"(best {max(rates):,.0f}, worst {min(rates):,.0f}, {args.repeats} repeats)"
    )


if __name__ == "__main__":
    main()
