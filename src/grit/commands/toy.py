"""``grit toy``: the demo's toy world -- pre-train its base model, probe its skills, write its data."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "toy",
        help="Toy world: pre-train the demo's base VLM, probe its skills, write question sets",
        description=(
            "The toy world behind 'grit demo': flat shapes on a 4x4 grid of 28-px cells. "
            "'pretrain' trains the small Qwen2.5-VL-architecture base from scratch on synthetic "
            "skills (seeing, localising, direct answers, tag-following) without ever showing it a "
            "grounded reasoning chain or the GRIT prompt; 'probe' measures those skills on held-out "
            "scenes; 'data' writes counting and spatial questions in the GRIT JSONL format."
        ),
    )
    sub = parser.add_subparsers(dest="toy_command", metavar="SUBCOMMAND")

    pre = sub.add_parser("pretrain", help="pre-train a toy base model from scratch")
    pre.add_argument("--out", required=True, help="model folder to write (must not exist or be empty)")
    pre.add_argument("--steps", type=int, default=6000, help="optimizer steps (default 6000)")
    pre.add_argument("--batch-size", type=int, default=64)
    pre.add_argument("--lr", type=float, default=5e-4, help="peak learning rate (default 5e-4)")
    pre.add_argument("--warmup-steps", type=int, default=200)
    pre.add_argument(
        "--curriculum-steps",
        type=int,
        default=None,
        help="steps over which scenes grow to 6 objects (default: 1500 for a new model, 0 with --init)",
    )
    pre.add_argument(
        "--min-objects",
        type=int,
        choices=range(1, 7),
        default=1,
        metavar="{1..6}",
        help="fewest objects per scene; the curriculum grows scenes from it (default 1)",
    )
    pre.add_argument(
        "--vision-stage-steps",
        type=int,
        default=None,
        help="first steps on vision-only skills, before --mixture (default: 1500 for a new model, 0 with --init)",
    )
    pre.add_argument("--vision-lr-scale", type=float, default=1.0, help="lr multiplier of the vision tower")
    pre.add_argument("--rope-theta", type=float, default=1e4, help="text RoPE theta of the toy model")
    pre.add_argument(
        "--mrope-section",
        type=parse_mrope_section,
        default=None,
        help="M-RoPE sizes T,H,W of the language model, e.g. 9,0,7 (default: the model's own, 2,7,7 when new)",
    )
    pre.add_argument(
        "--local-vision",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep vision attention inside each 28-px cell (default: the model's own; off when new)",
    )
    pre.add_argument(
        "--max-minutes", type=float, default=None, help="stop after this wall time (schedule adapts)"
    )
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("--init", default=None, help="continue from this toy model folder (a second stage)")
    pre.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    pre.add_argument("--workers", type=int, default=1, help="data-generation worker processes (default 1)")
    pre.add_argument("--eval-every", type=int, default=250)
    pre.add_argument("--save-every", type=int, default=1000)
    pre.add_argument(
        "--mixture",
        type=parse_mixture,
        default=None,
        help="task weights after the vision stage, e.g. locate=0.2,compose=0.3 (default: the standard mixture)",
    )
    pre.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp32"),
        default="auto",
        help="auto: bf16 autocast on a GPU, fp32 on CPU; bf16 is ~1.5x faster on CPUs with AVX512-BF16",
    )
    pre.add_argument(
        "--length-pool", type=int, default=8, help="batches drawn at once and grouped by length (default 8)"
    )
    pre.add_argument(
        "--loss-weighting",
        choices=("token", "example"),
        default="token",
        help="average the reply loss over the batch's tokens (default, as transformers) or per example, "
        "so one-word answers weigh as much as long replies",
    )
    pre.add_argument(
        "--relation-curriculum-steps",
        type=int,
        default=0,
        help="introduce the spatial relation words one at a time over these steps, 'left of' first "
        "(default 0: all four at once)",
    )
    pre.add_argument(
        "--relation-curriculum-words",
        type=parse_relation_words,
        default=None,
        help="the words that curriculum brings in, in order, e.g. 'above,below'; the others keep an "
        "equal share throughout (default: all four, 'left of' first)",
    )
    pre.add_argument("--overwrite", action="store_true")
    pre.add_argument(
        "--resume", action="store_true", help="continue an interrupted run in --out from its last save"
    )
    add_background_argument(pre, default=None, default_text="the --init model's (plain for a new model)")
    pre.set_defaults(func=run_pretrain)

    probe = sub.add_parser("probe", help="measure a base model's skills on held-out toy scenes")
    probe.add_argument("--model", default=None, help="model folder (default: the shipped toy base)")
    probe.add_argument("--n", type=int, default=200, help="held-out examples per skill (default 200)")
    probe.add_argument(
        "--out", default=None, help="write the skill table as JSON here (an existing file needs --overwrite)"
    )
    probe.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    probe.add_argument(
        "--rows",
        type=parse_probe_rows,
        default=None,
        help="only these rows of the skill table, comma-separated (e.g. box_by_one_word,name_selection); "
        "default: every row",
    )
    probe.add_argument("--seed", type=int, default=0)
    add_background_argument(probe, default=None)
    probe.set_defaults(func=run_probe)

    data = sub.add_parser("data", help="write toy counting + spatial questions in GRIT JSONL")
    data.add_argument("--out", required=True, help="folder for NAME.jsonl and NAME/ images")
    data.add_argument("--name", default="toy", help="file stem (default 'toy')")
    data.add_argument("--count", type=int, default=10, help="counting questions (answers 0-4, balanced)")
    data.add_argument("--spatial", type=int, default=10, help="spatial yes/no questions (balanced)")
    data.add_argument("--seed", type=int, default=0)
    data.add_argument("--overwrite", action="store_true")
    add_background_argument(data)
    data.set_defaults(func=run_data)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def add_background_argument(
    parser: argparse.ArgumentParser, default: str | None = "plain", default_text: str | None = None
) -> None:
    """``--background``: a model must be probed and given data in the world it was trained on."""
    parser.add_argument(
        "--background",
        choices=("plain", "coordinate", "position", "tiles"),
        default=default,
        help="toy-world background: flat (plain), shaded by position on the scene's colour "
        "(coordinate) or on one fixed colour (position), or one tint per grid cell (tiles); default: "
        + (default_text or default or "the one the model was pre-trained on (its pretrain_config.json)"),
    )


def parse_probe_rows(text: str) -> list[str]:
    """``row,row`` -> [row, row], checked against the probe's rows before any model is loaded."""
    from grit.toy.probe import PROBE_ROWS

    rows = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [row for row in rows if row not in PROBE_ROWS]
    if unknown or not rows:
        raise argparse.ArgumentTypeError(
            f"unknown rows {unknown or [text]}; the rows are: {', '.join(PROBE_ROWS)}"
        )
    return rows


def parse_mixture(text: str) -> dict[str, float]:
    """``kind=weight,kind=weight`` -> {kind: weight}, checked against the task kinds."""
    from grit.toy.tasks import TASK_KINDS

    weights: dict[str, float] = {}
    for part in text.split(","):
        kind, sep, value = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in TASK_KINDS:
            raise argparse.ArgumentTypeError(f"{part!r}: expected KIND=WEIGHT with KIND one of {TASK_KINDS}")
        try:
            weights[kind] = float(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{part!r}: weight {value!r} is not a number") from exc
        if weights[kind] < 0:
            raise argparse.ArgumentTypeError(f"{part!r}: weights must be >= 0")
    if not any(weights.values()):
        raise argparse.ArgumentTypeError("the mixture needs at least one positive weight")
    return weights


def run_pretrain(args: argparse.Namespace) -> int:
    from grit.toy.model import ToyModelSpec
    from grit.toy.pretrain import PretrainConfig, pretrain

    config = PretrainConfig(
        out=args.out,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup_steps=args.warmup_steps,
        curriculum_steps=args.curriculum_steps,
        min_objects=args.min_objects,
        vision_stage_steps=args.vision_stage_steps,
        vision_lr_scale=args.vision_lr_scale,
        max_minutes=args.max_minutes,
        seed=args.seed,
        init=args.init,
        device=args.device,
        workers=args.workers,
        eval_every=args.eval_every,
        save_every=args.save_every,
        overwrite=args.overwrite,
        background=args.background,
        mixture=args.mixture,
        length_pool=args.length_pool,
        precision=args.precision,
        resume=args.resume,
        mrope_section=args.mrope_section,
        local_vision=args.local_vision,
        loss_weighting=args.loss_weighting,
        relation_curriculum_steps=args.relation_curriculum_steps,
        relation_curriculum_words=args.relation_curriculum_words,
    )
    path = pretrain(config, ToyModelSpec(rope_theta=args.rope_theta))
    print(f"wrote toy base model to {path}")
    return 0


def parse_relation_words(text: str) -> list[str]:
    from grit.toy import world

    words = [word.strip() for word in text.split(",") if word.strip()]
    unknown = [word for word in words if word not in world.RELATIONS]
    if not words or unknown or len(set(words)) != len(words):
        raise argparse.ArgumentTypeError(
            f"--relation-curriculum-words {text!r}: give distinct words among {', '.join(world.RELATIONS)}"
        )
    return words


def parse_mrope_section(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected three sizes T,H,W such as 9,0,7, not {text!r}")
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def run_probe(args: argparse.Namespace) -> int:
    import json

    from grit.toy.probe import format_skill_table, probe_skills
    from grit.toy.shipped import base_model_path
    from grit.toy.world import trained_background, using_background

    if args.out and Path(args.out).exists() and not args.overwrite:
        raise SystemExit(f"grit toy probe: {args.out} exists; pass --overwrite to replace it")
    model = args.model or str(base_model_path())
    with using_background(args.background or trained_background(model)):  # the caller's world after
        skills = probe_skills(model, n=args.n, seed=args.seed, rows=args.rows)
    print(format_skill_table(skills))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(skills, fh, indent=2)
    return 0


def run_data(args: argparse.Namespace) -> int:
    from grit.toy.world import write_questions

    path = write_questions(
        args.out, args.name, args.count, args.spatial, args.seed, args.overwrite, background=args.background
    )
    print(f"wrote {args.count + args.spatial} questions to {path}")
    return 0
