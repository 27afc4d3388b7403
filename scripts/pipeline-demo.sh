#!/usr/bin/env bash
# The end-to-end pipeline on CPU, offline, in a few minutes: synthetic toy data -> a tiny
# Qwen2.5-VL-architecture model -> evaluate -> GRPO-GR training on 20 examples -> evaluate ->
# compare. `make demo` runs this until `grit demo` (with a pre-trained toy model that really
# sees) lands; the tiny model here is *randomly initialised*, so its scores stay near zero: what
# this shows is every stage working on real code paths, not learning.
set -euo pipefail
GRIT=${GRIT:-.venv/bin/grit}
OUT=${1:-demo-out/run-$(date +%Y%m%d-%H%M%S)}
if [ -e "$OUT" ]; then echo "$OUT exists; choose another folder (nothing is overwritten)" >&2; exit 2; fi
mkdir -p "$OUT"
step() { printf '\n==> %s\n' "$*"; }

step "1/6 synthetic toy world: 20 training rows (counting + spatial), 40 held-out evaluation rows"
"$GRIT" data synth --n 20 --n-eval 40 --seed 0 --image-size 224 --families count=1,spatial=1 --out "$OUT/data"

step "2/6 a tiny random Qwen2.5-VL-architecture model, built offline"
"$GRIT" tiny-model --family qwen2_5_vl --out "$OUT/model"

step "3/6 evaluate before training (the GRIT prompt, greedy decoding, rule-based judge)"
"$GRIT" eval --model "$OUT/model" --data "$OUT/data/toy_eval.jsonl" --out "$OUT/eval-before" \
    --max-new-tokens 64 --batch-size 8 --judge auto --no-progress

step "4/6 GRPO-GR training on the 20 rows (rewards see answers and format only)"
"$GRIT" train --config recipes/grit-toy-cpu.yaml --model_name_or_path "$OUT/model" \
    --train_data "$OUT/data/toy_train.jsonl" --output_dir "$OUT/train" --max_steps 10 \
    --max_completion_length 64 --disable_tqdm true

step "5/6 evaluate after training"
"$GRIT" eval --model "$OUT/train" --data "$OUT/data/toy_eval.jsonl" --out "$OUT/eval-after" \
    --max-new-tokens 64 --batch-size 8 --judge auto --no-progress

step "6/6 before vs after"
"$GRIT" compare "$OUT/eval-before" "$OUT/eval-after"
printf '\nOutputs in %s: eval-*/report.html (chains with boxes drawn), train/rollouts/, train/metrics.jsonl\n' "$OUT"
