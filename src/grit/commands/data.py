"""``grit data``: validate GRIT-format data and synthesise the toy world.

``grit data synth --n N --seed S --out DIR`` writes the toy world in the GRIT data format;
``grit data validate PATH...`` checks JSON Lines files / Hugging Face datasets and prints a summary.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="Validate GRIT-format data and synthesise the toy world",
        description="Validate GRIT-format data (JSON Lines + image folders, Hugging Face datasets) "
        "and synthesise the toy world with exact boxes. See docs/data.md.",
    )
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    synth = sub.add_parser(
        "synth",
        help="Write the synthetic toy world (JSON Lines + PNG images)",
        description="Scenes of flat shapes with exact boxes and questions in five families "
        "(count, spatial yes/no, existence, attribute, where-is with a box answer). Writes "
        "OUT/toy_train.jsonl + OUT/toy_train/, OUT/toy_eval.jsonl + OUT/toy_eval/ (with --n-eval) "
        "and OUT/synth_report.json (the balance report). Deterministic for a seed.",
    )
    synth.add_argument("--n", type=int, required=True, help="train rows (one image each)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--out", required=True, help="output folder")
    synth.add_argument("--n-eval", type=int, default=0, help="eval rows with separate scenes (default 0)")
    synth.add_argument("--image-size", type=int, default=224, help="image side in pixels (default 224)")
    synth.add_argument("--count-range", default="0-4", help="train counts LO-HI (default 0-4, as the paper)")
    synth.add_argument(
        "--eval-count-range", default="0-9", help="eval counts LO-HI (default 0-9, as the paper)"
    )
    synth.add_argument(
        "--families",
        default="count=0.3,spatial=0.3,existence=0.15,attribute=0.1,where=0.15",
        help="family weights, e.g. 'count=1,spatial=1' (families: count, spatial, existence, attribute, where)",
    )
    synth.add_argument(
        "--relations", default=None, help="comma list from: left of,right of,above,below,next to"
    )
    synth.add_argument(
        "--colours", default=None, help="comma list of colour names (default red,green,blue,orange,purple)"
    )
    synth.add_argument("--shapes", default=None, help="comma list from circle,square,triangle,diamond,cross")
    synth.add_argument("--yes-ratio", type=float, default=0.5, help="fraction of yes answers (default 0.5)")
    synth.add_argument(
        "--min-object", type=float, default=1 / 8, help="min object side / image side (default 0.125)"
    )
    synth.add_argument(
        "--max-object", type=float, default=0.28, help="max object side / image side (default 0.28)"
    )
    synth.add_argument("--max-distractors", type=int, default=3, help="max distractor objects (default 3)")
    synth.add_argument(
        "--max-occlusion", type=float, default=0.15, help="max covered fraction of a box (default 0.15)"
    )
    synth.add_argument("--grid", type=int, default=0, help="snap positions to this pixel grid (0: off)")
    synth.add_argument("--overwrite", action="store_true", help="replace toy data already in OUT")
    synth.set_defaults(func=run_synth)

    validate = sub.add_parser(
        "validate",
        help="Check GRIT-format files or Hugging Face datasets and print a summary",
        description="Each PATH is a .jsonl file (optionally FILE=IMAGE_DIR), a folder of .jsonl files, "
        "a save_to_disk folder, or hf:NAME[@SPLIT]. Prints rows per dataset, question types, rows with "
        "boxes and every problem found (file, line, field). Exit status 1 when problems were found.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.add_argument(
        "--image-check",
        choices=["full", "header", "none"],
        default="full",
        help="full: decode every image (catches truncation); header: size only; none",
    )
    validate.add_argument(
        "--box-tolerance", type=float, default=2.0, help="pixels a box may overshoot (default 2)"
    )
    validate.add_argument("--max-problems", type=int, default=50, help="problems to list (default 50)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(func=run_validate)


def _range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


def _weights(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        out[name.strip()] = float(weight) if weight else 1.0
    return out


def _names(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(p.strip() for p in text.split(",") if p.strip())


def run_synth(args: argparse.Namespace) -> int:
    import sys
    import time
    from dataclasses import replace

    from grit.data.synth import SynthConfig, generate

    options = {
        "image_size": args.image_size,
        "families": _weights(args.families),
        "count_range": _range(args.count_range),
        "yes_ratio": args.yes_ratio,
        "min_object_frac": args.min_object,
        "max_object_frac": args.max_object,
        "max_distractors": args.max_distractors,
        "max_occlusion": args.max_occlusion,
        "grid": args.grid,
    }
    for key, value in (("relations", args.relations), ("colours", args.colours), ("shapes", args.shapes)):
        if _names(value) is not None:
            options[key] = _names(value)
    try:
        cfg = SynthConfig(**options)
        eval_cfg = replace(cfg, count_range=_range(args.eval_count_range))
        start = time.perf_counter()
        result = generate(
            args.n,
            args.seed,
            args.out,
            n_eval=args.n_eval,
            config=cfg,
            eval_config=eval_cfg,
            overwrite=args.overwrite,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"grit data synth: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    print(result["summary"])
    total = args.n + args.n_eval
    print(f"wrote {total} rows to {args.out} in {elapsed:.1f} s ({total / max(elapsed, 1e-9):.0f} rows/s)")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    import json
    import logging
    import sys

    from grit.data import DataError, load_data
    from grit.data.errors import LoadReport
    from grit.data.sources import parse_source

    report = LoadReport()
    logger = logging.getLogger("grit.data")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the summary below lists every problem; no second copy on stderr
    try:
        for spec in args.paths:
            try:
                sources = parse_source(spec)
                _, sub = load_data(
                    sources, policy="skip", image_check=args.image_check, box_tolerance=args.box_tolerance
                )
            except (DataError, ValueError, OSError) as exc:
                print(f"grit data validate: {spec}: {exc}", file=sys.stderr)
                return 2
            report.merge(sub)
    finally:
        logger.setLevel(level)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary(max_problems=args.max_problems))
    return 1 if report.rows_skipped else 0
