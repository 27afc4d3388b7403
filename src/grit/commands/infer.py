"""``grit infer``: answer one question about one image with a grounded reasoning chain.

Prints the chain with each box in its colour and saves the image with the boxes drawn.
Python: ``grit.evaluate.infer.infer(model, image, question, out=...)``.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "infer",
        help="Answer one question about one image with a grounded reasoning chain",
        description="Generate a grounded reasoning chain for one image and question (greedy), print it "
        "with each box mention coloured like its box, and save the image with the boxes drawn and numbered.",
    )
    parser.add_argument("--model", required=True, help="model folder or hub id")
    parser.add_argument("--image", required=True, help="image file")
    parser.add_argument("--question", required=True, help="the question")
    parser.add_argument(
        "--out", default=None, help="annotated picture to write (default: IMAGE stem + .grit.png)"
    )
    parser.add_argument("--prompt-mode", choices=["grit", "direct", "cot"], default="grit")
    parser.add_argument("--max-new-tokens", type=int, default=1000)
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--color", choices=["auto", "always", "never"], default="auto", help="terminal colours"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of coloured text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import os
    import sys
    from pathlib import Path

    from grit.evaluate.infer import infer
    from grit.report.chain_markup import safe_terminal_text

    image = Path(args.image)
    if not image.is_file():
        print(f"grit infer: no such image: {image}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else image.with_name(image.stem + ".grit.png")
    try:
        result = infer(
            args.model, image, args.question, args.prompt_mode, args.max_new_tokens, args.device, out
        )
    except OSError as exc:
        print(f"grit infer: {exc}", file=sys.stderr)
        return 2
    if args.json:
        payload = {
            "question": args.question,
            "completion": result.completion,
            "answer": result.answer,
            "boxes": result.boxes,
            "labels": [b.label for b in result.chain.boxes],
            "image": str(out),
        }
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    color = args.color == "always" or (
        args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    print(result.terminal_text(color=color))
    print()
    for i, box in enumerate(result.boxes, 1):
        label = result.chain.boxes[i - 1].label
        print(f"box {i}: [{', '.join(f'{v:.1f}' for v in box)}]" + (f" {label!r}" if label else ""))
    answer = safe_terminal_text(result.answer) if result.answer is not None else "(no <answer>)"
    print(f"answer: {answer}")
    print(f"wrote {out}")
    return 0
