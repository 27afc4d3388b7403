"""Evaluation speed: batched generation versus one row at a time, and the GIoU computation rate.

    taskset -c 1 .venv/bin/python benchmarks/bench_eval.py [--family qwen2_5_vl] [--rows 64]

1. Rows per second through ``grit.evaluate.run_eval`` (generation + parsing + judge + writing) on a
   tiny model and the synthetic benchmark, with ``--batch-size 16`` and ``--batch-size 1``
   (target: batched >= 3x). Every row generates exactly ``--max-new-tokens`` tokens
   (``stop_at_answer`` off), so both runs do the same work.
2. GIoU (union IoU) pairs per second over a mix of 1-4 predicted and 1-3 ground-truth boxes
   (target >= 100,000 pairs/s): ``union_iou_batch`` (numpy, exact) and one Python call per pair.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def bench_generation(family: str, rows: int, max_new_tokens: int, batch_sizes: list[int]) -> dict[int, float]:
    from grit.data.synth import generate
    from grit.evaluate import EvalConfig, GenerationSettings, run_eval
    from grit.evaluate.generate import HFBackend
    from grit.testing import tiny_model_path

    model = str(tiny_model_path(family))
    settings = GenerationSettings(max_new_tokens=max_new_tokens, stop_at_answer=False, dtype="float32")
    backend = HFBackend(model, settings, device="cpu")
    backend.model.generation_config.eos_token_id = None  # fixed length: same work at any batch size
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        from grit.data.synth import SynthConfig

        generate(1, 0, Path(tmp) / "toy", n_eval=rows, config=SynthConfig(image_size=96))
        data = str(Path(tmp) / "toy" / "toy_eval.jsonl")
        backend.generate([[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "warm"}]}]],
                         [__import__("PIL.Image").Image.new("RGB", (96, 96))])  # fmt: skip
        for bs in batch_sizes:
            config = EvalConfig(
                model=model, data=[data], out_dir=str(Path(tmp) / f"bs{bs}"), batch_size=bs,
                generation=settings, progress=False, report=False,
            )  # fmt: skip
            start = time.perf_counter()
            result = run_eval(config, backend=backend, log=lambda _text: None)
            rates[bs] = result.rows_new / (time.perf_counter() - start)
    return rates


def bench_giou(pairs: int) -> tuple[float, float]:
    from grit.boxes import union_iou, union_iou_batch

    rng = random.Random(0)

    def box():
        x, y = rng.uniform(0, 500), rng.uniform(0, 500)
        return [x, y, x + rng.uniform(5, 200), y + rng.uniform(5, 200)]

    data = [
        ([box() for _ in range(rng.randint(1, 4))], [box() for _ in range(rng.randint(1, 3))])
        for _ in range(pairs)
    ]
    start = time.perf_counter()
    for p, g in data:
        union_iou(p, g)
    one_by_one = pairs / (time.perf_counter() - start)
    start = time.perf_counter()
    union_iou_batch(data)
    return one_by_one, pairs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--family", default="qwen2_5_vl")
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--pairs", type=int, default=200_000)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rates = bench_generation(args.family, args.rows, args.max_new_tokens, [16, 1])
    shared, batch = bench_giou(args.pairs)
    print(f"{'measure':44s} {'value':>12s}  target")
    print(f"{f'eval rows/s, batch 16 ({args.family})':44s} {rates[16]:12.1f}")
    print(f"{f'eval rows/s, batch 1 ({args.family})':44s} {rates[1]:12.1f}")
    print(f"{'speed-up batch 16 / batch 1':44s} {rates[16] / rates[1]:11.1f}x  >= 3x")
    print(f"{'GIoU pairs/s, union_iou_batch (numpy)':44s} {batch:12,.0f}  >= 100,000")
    print(f"{'GIoU pairs/s, union_iou one call per pair':44s} {shared:12,.0f}")


if __name__ == "__main__":
    main()
