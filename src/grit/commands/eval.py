"""``grit eval``: evaluate a model on grounded-reasoning benchmarks (ACC, GIoU, grounded rate, report).

See docs/evaluation.md. Heavy libraries are imported inside ``run``.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from grit.judges.config import add_judge_arguments

    parser = subparsers.add_parser(
        "eval",
        help="Evaluate a model on grounded-reasoning benchmarks (ACC, grounding IoU, report)",
        description=(
            "Greedy generation over one or more benchmarks, judged answers and the paper's metrics "
            "(ACC, GIoU, grounded-reasoning rate, count consistency, boxes per answer). Writes "
            "OUT/predictions.jsonl row by row (re-running the same command resumes), OUT/metrics.json, "
            "OUT/report.html, and prints a table. See docs/evaluation.md."
        ),
    )
    parser.add_argument("--model", required=True, help="model folder or hub id")
    parser.add_argument(
        "--data",
        required=True,
        nargs="+",
        metavar="SOURCE",
        help="data sources as in grit train: FILE.jsonl[=IMAGE_DIR], a folder of .jsonl files, "
        "a save_to_disk folder, hf:NAME[@SPLIT]; several at once",
    )
    parser.add_argument(
        "--out", required=True, help="output folder (resumed if it holds a run with the same settings)"
    )
    parser.add_argument(
        "--prompt-mode", choices=["grit", "direct", "cot"], default="grit", help="default: grit"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="rows per generate call (default 16)")
    parser.add_argument("--max-new-tokens", type=int, default=1000, help="default 1000 (the paper's limit)")
    parser.add_argument(
        "--backend", choices=["hf", "vllm"], default="hf", help="generation backend (default hf)"
    )
    parser.add_argument(
        "--no-stop-at-answer", action="store_true", help="do not stop generating at </answer>"
    )
    parser.add_argument("--min-pixels", type=int, default=None, help="processor pixel budget (Qwen families)")
    parser.add_argument("--max-pixels", type=int, default=None, help="processor pixel budget (Qwen families)")
    parser.add_argument("--dtype", choices=["auto", "bfloat16", "float16", "float32"], default="auto")
    parser.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    parser.add_argument("--system-prompt", default=None, help="optional system turn")
    parser.add_argument("--limit", type=int, default=None, help="evaluate at most N rows per dataset")
    parser.add_argument(
        "--completions",
        default=None,
        help="score these completions (JSON Lines with id and completion) instead of generating",
    )
    parser.add_argument(
        "--data-policy", choices=["error", "skip"], default="error", help="bad rows: stop or skip"
    )
    parser.add_argument("--image-check", choices=["full", "header", "none"], default="full")
    parser.add_argument(
        "--overwrite", action="store_true", help="set aside (rename) outputs made with other settings"
    )
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument(
        "--report-max-samples", type=int, default=500, help="cards in report.html (default 500)"
    )
    parser.add_argument(
        "--cross-modal",
        action="store_true",
        help="also measure cross-modal correlation with a multimodal LLM judge (uses the --judge_* server)",
    )
    parser.add_argument("--cross-modal-repeats", type=int, default=3, help="default 3 (the paper)")
    parser.add_argument("--cross-modal-limit", type=int, default=None, help="at most N chains")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random boxes (cross-modal)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_judge_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from grit.data import DataError
    from grit.evaluate import EvalConfig, GenerationSettings, SettingsMismatchError, run_eval
    from grit.judges import judge_config_from_args

    try:
        config = EvalConfig(
            model=args.model,
            data=list(args.data),
            out_dir=args.out,
            prompt_mode=args.prompt_mode,
            batch_size=args.batch_size,
            backend=args.backend,
            generation=GenerationSettings(
                max_new_tokens=args.max_new_tokens,
                stop_at_answer=not args.no_stop_at_answer,
                min_pixels=args.min_pixels,
                max_pixels=args.max_pixels,
                dtype=args.dtype,
            ),
            judge=judge_config_from_args(args),
            data_policy=args.data_policy,
            image_check=args.image_check,
            system_prompt=args.system_prompt,
            limit=args.limit,
            completions=args.completions,
            overwrite=args.overwrite,
            report=not args.no_report,
            report_max_samples=args.report_max_samples,
            cross_modal=args.cross_modal,
            cross_modal_repeats=args.cross_modal_repeats,
            cross_modal_limit=args.cross_modal_limit,
            seed=args.seed,
            progress=not args.no_progress,
            device=args.device,
        )
        result = run_eval(config, log=print)
    except (SettingsMismatchError, DataError, ValueError, FileNotFoundError) as exc:
        print(f"grit eval: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {result.out_dir / 'metrics.json'}"
        + ("" if args.no_report else f" and {result.out_dir / 'report.html'}")
    )
    return 0
