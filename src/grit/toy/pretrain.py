"""``grit toy pretrain``: teacher-forced pre-training of the toy base on the task mixture.

An endless stream of freshly drawn examples (no example is seen twice), loss on the assistant's
tokens only, AdamW with warm-up and cosine decay, and an easy-to-hard curriculum: scenes start
with one or two objects and grow to six (TOY-NOTES: the vision path learns on easy scenes first).
Runs on CPU or on a GPU, in bf16 autocast on a GPU (``precision="auto"``) and optionally on a CPU
(``precision="bf16"``: about 1.5x faster on CPUs with AVX512-BF16, the same loss to 3 digits).
Every ``eval_every`` steps it logs held-out loss with the real image and with another scene's
image: a clear gap is the evidence that the model looks at the picture.
"""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from grit.toy import tasks, world
from grit.toy.model import ToyModelSpec, build_toy_model


@dataclass
class PretrainConfig:
    out: str
    steps: int = 6000
    batch_size: int = 64
    lr: float = 5e-4
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    # Max objects per scene ramps from min_objects to 6 over these steps. None: 1500 for a new
    # model, 0 (every scene size from the start) when continuing an ``init`` one, as every shipped
    # stage did; the ramp and the vision stage below are for a model that has not yet seen.
    curriculum_steps: int | None = None
    # Fewest objects in a scene. Above 1, no one-object scene is ever seen, so a question about a
    # named object cannot be answered by looking at "the object" instead of the named one.
    min_objects: int = 1
    # First steps on vision-only skills (tasks.VISION_WEIGHTS), ignoring ``mixture``. None: 1500
    # for a new model, 0 when continuing an ``init`` one (a stage's mixture is what it is run for).
    vision_stage_steps: int | None = None
    vision_lr_scale: float = 1.0  # learning-rate multiplier of the vision tower and merger
    seed: int = 0
    device: str = "auto"
    workers: int = 1
    eval_every: int = 250
    eval_samples: int = 128
    log_every: int = 25
    max_minutes: float | None = None  # stop (and finish the schedule) after this wall time
    save_every: int = 1000
    init: str | None = None  # continue from this toy model folder (a second stage) instead of scratch
    # The toy world's background (world.BACKGROUND_STYLES); None: the ``init`` model's own (its
    # pretrain_config.json), plain for a new model. A base's boxes are read against the background
    # it learned on: the shipped base, moved from tiles to plain, boxes one object with IoU >= 0.5
    # 0.08 of the time instead of 0.80, so continuing a model must not switch it silently.
    background: str | None = None
    precision: str = "auto"  # "auto" (bf16 autocast on CUDA, fp32 on CPU), "bf16" or "fp32"
    length_pool: int = 8  # draw this many batches at once and group them by length (less padding)
    mixture: dict[str, float] | None = None  # task weights after the vision stage (tasks.DEFAULT_WEIGHTS)
    # M-RoPE frequencies per axis (temporal, height, width) of the language model, for a new model
    # or to re-assign them on an ``init`` one (see set_mrope_section); None keeps the model's own
    mrope_section: tuple[int, int, int] | None = None
    # Keep vision attention inside each cell (ToyModelSpec.local_vision), for a new model or by
    # re-configuring an ``init`` one (its weights fit either layout); None keeps the model's own
    local_vision: bool | None = None
    # How the reply loss is averaged: "token" (transformers' default: every reply token of the batch
    # alike, so a one-word answer weighs 1/50 of a 50-token chain) or "example" (each example's
    # reply tokens averaged first, so every example counts alike; see reply_loss)
    loss_weighting: str = "token"
    # Introduce the spatial relation words one at a time over these steps ("left of" first; see
    # tasks.relations_at); 0 uses all four from the start, as every shipped stage did
    relation_curriculum_steps: int = 0
    # The words that curriculum brings in, in order; the others keep an equal share (None: all four)
    relation_curriculum_words: list[str] | None = None
    overwrite: bool = False
    resume: bool = False  # continue an interrupted run in ``out`` from its last save


RESUME_STATE = "resume_state.pt"  # fp32 weights, optimiser and position of the last save (not shipped)
# Settings that may differ when a run is resumed (they do not change what is trained).
RESUME_NEUTRAL = ("resume", "overwrite", "workers", "device", "eval_every", "log_every", "save_every")


def encode(processor: Any, sample: tasks.Sample) -> dict[str, Any]:
    """Token ids, labels (-100 on the prompt), pixels and token types of one example.

    The reply is tokenised on its own, after the generation prompt, exactly as the model will
    produce it at generation time. ``mm_token_type_ids`` (1 on image tokens) must reach the model:
    without it Qwen2.5-VL cannot build its M-RoPE (temporal, row, column) positions and falls back
    to 1-D positions, so a base would be trained on other positions than generation and GRPO use
    (every base before 2026-11-25 was: it located rows right teacher-forced and wrong when generating).
    """
    messages: list[dict[str, Any]] = []
    for user, assistant in sample.history:  # earlier turns: context only, never trained on
        messages.append({"role": "user", "content": [{"type": "text", "text": user}]})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": assistant}]})
    messages.append({"role": "user", "content": [{"type": "text", "text": sample.prompt}]})
    messages[0]["content"].insert(0, {"type": "image"})
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[prompt], images=[sample.image], return_tensors="pt")
    reply = processor.tokenizer(sample.target + "<|im_end|>", add_special_tokens=False)["input_ids"]
    prompt_ids = inputs["input_ids"][0]
    if sample.reply_context:  # the reply's start: context, never trained on
        context = processor.tokenizer(sample.reply_context, add_special_tokens=False)["input_ids"]
        prompt_ids = torch.cat([prompt_ids, torch.tensor(context, dtype=prompt_ids.dtype)])
    reply_ids = torch.tensor(reply, dtype=prompt_ids.dtype)
    token_types = inputs["mm_token_type_ids"][0]
    text_after = len(prompt_ids) + len(reply_ids) - len(token_types)  # reply context and reply
    return {
        "input_ids": torch.cat([prompt_ids, reply_ids]),
        "labels": torch.cat([torch.full_like(prompt_ids, -100), reply_ids]),
        "mm_token_type_ids": torch.cat([token_types, torch.zeros(text_after, dtype=token_types.dtype)]),
        "pixel_values": inputs["pixel_values"],
        "image_grid_thw": inputs["image_grid_thw"],
    }


def collate(items: list[dict[str, Any]], pad_id: int) -> dict[str, Any]:
    length = max(len(i["input_ids"]) for i in items)
    ids = torch.full((len(items), length), pad_id, dtype=torch.long)
    labels = torch.full((len(items), length), -100, dtype=torch.long)
    mask = torch.zeros((len(items), length), dtype=torch.long)
    token_types = torch.zeros((len(items), length), dtype=items[0]["mm_token_type_ids"].dtype)
    for k, item in enumerate(items):
        n = len(item["input_ids"])
        ids[k, :n], labels[k, :n], mask[k, :n] = item["input_ids"], item["labels"], 1
        token_types[k, :n] = item["mm_token_type_ids"]
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "labels": labels,
        "mm_token_type_ids": token_types,
        "pixel_values": torch.cat([i["pixel_values"] for i in items]),
        "image_grid_thw": torch.cat([i["image_grid_thw"] for i in items]),
    }


def group_by_length(items: list[dict[str, Any]], size: int, rng: random.Random, pad_id: int):
    """Collated batches of ``size`` similar-length examples, in random order.

    Examples range from about 70 tokens (a count) to 350 (a three-step composition); random
    batches are padded to their longest and waste about 60 % of the compute, sorted pools about 15 %.
    """
    items = sorted(items, key=lambda item: len(item["input_ids"]))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    rng.shuffle(batches)
    for batch in batches:
        yield collate(batch, pad_id)


def max_objects_at(step: int, curriculum_steps: int, min_objects: int = 1) -> int:
    if curriculum_steps <= 0:
        return 6
    return min(6, min_objects + ((6 - min_objects) * step) // curriculum_steps)


class TaskStream(torch.utils.data.IterableDataset):
    """An endless iterable of collated batches drawn from the task mixture (one per worker)."""

    def __init__(self, processor: Any, config: PretrainConfig, start_step: int = 0) -> None:
        super().__init__()
        self.processor, self.config, self.start_step = processor, config, start_step

    def __iter__(self):
        world.set_background_style(self.config.background)  # also in spawned data workers
        info = torch.utils.data.get_worker_info()
        worker, n_workers = (info.id, info.num_workers) if info else (0, 1)
        rng = random.Random(f"grit-toy-pretrain:{self.config.seed}:{self.start_step}:{worker}")
        pad = self.processor.tokenizer.convert_tokens_to_ids("<|endoftext|>")
        step = self.start_step + worker
        vision_until = self.config.vision_stage_steps
        size, pool = self.config.batch_size, max(1, self.config.length_pool)
        low = self.config.min_objects
        while True:
            items = []
            for k in range(pool):  # each batch keeps the curriculum of its own step
                at = step + k * n_workers
                limit = max_objects_at(at, self.config.curriculum_steps, low)
                weights = tasks.VISION_WEIGHTS if at < vision_until else self.config.mixture
                relations = tasks.relations_at(
                    at,
                    self.config.relation_curriculum_steps,
                    tuple(self.config.relation_curriculum_words or world.RELATIONS),
                )
                items += [
                    encode(
                        self.processor,
                        tasks.sample_task(
                            rng, weights, max_objects=limit, min_objects=low, relations=relations
                        ),
                    )
                    for _ in range(size)
                ]
            yield from group_by_length(items, size, rng, pad)
            step += pool * n_workers


def heldout_batches(processor: Any, n: int, seed: int = 12345, batch_size: int = 32) -> list[dict[str, Any]]:
    """A fixed held-out set of direct-answer and localisation examples, with a swapped-image twin."""
    rng = random.Random(f"grit-toy-heldout:{seed}")
    weights = {"locate": 1.0, "count": 1.0, "spatial": 1.0, "attribute": 0.5}
    samples = [tasks.sample_task(rng, weights) for _ in range(n)]
    swapped = [replace(s, image=samples[(i + 1) % n].image) for i, s in enumerate(samples)]
    pad = processor.tokenizer.convert_tokens_to_ids("<|endoftext|>")
    out = []
    for start in range(0, n, batch_size):
        real = collate([encode(processor, s) for s in samples[start : start + batch_size]], pad)
        fake = collate([encode(processor, s) for s in swapped[start : start + batch_size]], pad)
        out.append({"real": real, "swapped": fake})
    return out


LOSS_WEIGHTINGS = ("token", "example")


def reply_loss(logits: torch.Tensor, labels: torch.Tensor, weighting: str) -> torch.Tensor:
    """Next-token loss on the reply, averaged per token or per example.

    Per token, a batch that mixes one-word answers ("yes", "3") with 50-token compositions spends
    almost all its gradient on the compositions: a 30 % share of yes/no questions was 3 % of the
    reply tokens (docs/toy-research.md, run D1). Per example, each example's mean token loss counts alike, as the task weights say.
    """
    if weighting not in LOSS_WEIGHTINGS:
        raise ValueError(f"loss weighting must be one of {LOSS_WEIGHTINGS}, not {weighting!r}")
    logits, labels = logits[:, :-1].float(), labels[:, 1:]
    per_token = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="none"
    ).view(labels.shape)
    mask = labels != -100
    if weighting == "token":
        return per_token.sum() / mask.sum().clamp(min=1)
    counts = mask.sum(dim=1)
    has_reply = counts > 0
    per_example = per_token.sum(dim=1)[has_reply] / counts[has_reply]
    return per_example.mean()


def heldout_loss(model: Any, batches: list[dict[str, Any]], device: Any, autocast: Any) -> dict[str, float]:
    totals = {"real": 0.0, "swapped": 0.0}
    was_training = model.training
    model.eval()
    with torch.no_grad(), autocast():
        for pair in batches:
            for key in totals:
                batch = {k: v.to(device) for k, v in pair[key].items()}
                totals[key] += float(model(**batch).loss)
    model.train(was_training)
    return {f"heldout_loss_{k}": v / len(batches) for k, v in totals.items()}


def _lr_at(step: int, config: PretrainConfig, elapsed: float = 0.0) -> float:
    """Linear warm-up, then cosine to ``min_lr_ratio`` over the step budget or the time budget,
    whichever runs out first."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    if config.max_minutes:
        progress = max(progress, elapsed / (60 * config.max_minutes))
    floor = config.min_lr_ratio
    return config.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


NEW_MODEL_SCHEDULE_STEPS = 1500  # vision stage and scene-size ramp of a model trained from scratch


def resolve_schedule(config: PretrainConfig) -> PretrainConfig:
    """Fill the vision stage and scene-size ramp left unset: on for a new model, off for ``init``."""
    default = 0 if config.init else NEW_MODEL_SCHEDULE_STEPS
    return replace(
        config,
        curriculum_steps=default if config.curriculum_steps is None else config.curriculum_steps,
        vision_stage_steps=default if config.vision_stage_steps is None else config.vision_stage_steps,
    )


def resolve_background(config: PretrainConfig) -> str:
    """The background to train on: the one asked for, else the ``init`` model's, else plain.

    Asking for another background than the ``init`` model's is allowed (it is how a line of
    stages moved between worlds) but warned about, since the model's localisation was learned
    against the old one and has to be learned again.
    """
    inherited = world.trained_background(config.init) if config.init else "plain"
    if config.background is None:
        return inherited
    if config.init and config.background != inherited:
        warnings.warn(
            f"{config.init} was pre-trained on the {inherited!r} background; training it on "
            f"{config.background!r} makes it learn to localise again (leave --background out to keep "
            f"{inherited!r})",
            stacklevel=2,
        )
    return config.background


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def pretrain(config: PretrainConfig, spec: ToyModelSpec | None = None, progress: bool = True) -> Path:
    """Pre-train a toy base from scratch; writes an HF-format model folder and ``pretrain_log.jsonl``.

    The run's background is the process's toy world only while it trains: a caller (a test, a
    notebook) gets its own world back afterwards.
    """
    config = resolve_schedule(replace(config, background=resolve_background(config)))
    with world.using_background(config.background):
        return _pretrain(config, spec, progress)


def _pretrain(config: PretrainConfig, spec: ToyModelSpec | None, progress: bool) -> Path:
    import contextlib

    spec = spec or ToyModelSpec()
    if config.mrope_section is not None:  # recorded in the spec, so a resumed run is checked against it
        spec = replace(spec, mrope_section=tuple(config.mrope_section))
    if config.local_vision is not None:
        spec = replace(spec, local_vision=config.local_vision)
    out = Path(config.out)
    state = _resume_state(out, config, spec) if config.resume else None
    if state is None and out.exists() and any(out.iterdir()) and not config.overwrite:
        raise FileExistsError(
            f"{out} is not empty; pass --resume to continue it or --overwrite to write into it"
        )
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if state is not None or config.init:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        source = out if state is not None else config.init
        model = AutoModelForImageTextToText.from_pretrained(source, dtype=torch.float32)
        processor = AutoProcessor.from_pretrained(source)
        if state is not None:
            model.load_state_dict(state["model"])  # the fp32 weights, not the bf16 copy
        if config.mrope_section is not None:
            set_mrope_section(model, config.mrope_section)
        if config.local_vision is not None:
            set_vision_attention(model, config.local_vision)
    else:
        model, processor = build_toy_model(spec, seed=config.seed)
    model.to(device).train()
    torch.backends.cuda.matmul.allow_tf32 = True
    if config.precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {config.precision!r}")
    if config.precision == "bf16" or (config.precision == "auto" and device == "cuda"):

        def autocast():
            return torch.autocast(device, dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        key = (param.ndim >= 2 and "embed" not in name, ".visual." in f".{name}")
        groups.setdefault(key, []).append(param)
    optimizer = torch.optim.AdamW(
        [
            {
                "params": params,
                "weight_decay": config.weight_decay if decays else 0.0,
                "lr_scale": config.vision_lr_scale if vision else 1.0,
            }
            for (decays, vision), params in groups.items()
        ],
        lr=config.lr,
        betas=(0.9, 0.98),
    )
    start_step, previous_seconds, running = 0, 0.0, 0.0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        start_step, previous_seconds, running = state["step"], state["seconds"], state["running"]
        if progress:
            print(f"resuming {out} at step {start_step}", flush=True)
    loader = torch.utils.data.DataLoader(
        TaskStream(processor, config, start_step=start_step),
        batch_size=None,
        num_workers=config.workers,
        persistent_workers=config.workers > 0,
        prefetch_factor=4 if config.workers > 0 else None,
    )
    heldout = heldout_batches(processor, config.eval_samples)
    log_path = out / "pretrain_log.jsonl"
    if state is None:
        (out / "pretrain_config.json").write_text(
            json.dumps({"config": asdict(config), "spec": asdict(spec)}, indent=2) + "\n", encoding="utf-8"
        )
    started = time.time() - previous_seconds
    done = start_step
    with log_path.open("a", encoding="utf-8") as log:
        for step, batch in enumerate(loader, start=start_step):
            elapsed = time.time() - started
            out_of_time = config.max_minutes is not None and elapsed >= 60 * config.max_minutes
            if step >= config.steps or out_of_time:
                break
            lr = _lr_at(step, config, elapsed)
            for group in optimizer.param_groups:
                group["lr"] = lr * group["lr_scale"]
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            labels = batch.pop("labels")
            with autocast():
                loss = reply_loss(model(**batch).logits, labels, config.loss_weighting)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            done = step + 1
            value = float(loss.detach())
            running = 0.9 * running + 0.1 * value if step else value  # (kept across a resume)
            record: dict[str, Any] = {}
            if (step + 1) % config.log_every == 0:
                record = {"loss": round(running, 4), "lr": lr}
            if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
                record.update(heldout_loss(model, heldout, device, autocast))
            if record:
                record.update(step=step + 1, seconds=round(time.time() - started, 1))
                log.write(json.dumps(record) + "\n")
                log.flush()
                if progress:
                    print(json.dumps(record), flush=True)
            if (step + 1) % config.save_every == 0:
                save_base(model, processor, out)
                _save_resume_state(out, model, optimizer, step + 1, time.time() - started, running)
    save_base(model, processor, out)
    _save_resume_state(out, model, optimizer, done, time.time() - started, running)
    return out


def _save_resume_state(
    out: Path, model: Any, optimizer: Any, step: int, seconds: float, running: float
) -> None:
    """Everything ``--resume`` needs, written atomically next to the weights."""
    import os

    state = {
        "model": {k: v.detach().to("cpu") for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "step": step,
        "seconds": seconds,
        "running": running,
    }
    tmp = out / (RESUME_STATE + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, out / RESUME_STATE)


def set_mrope_section(model: Any, section: Sequence[int]) -> None:
    """Re-assign the language model's rotary frequencies to the (temporal, height, width) axes.

    Text tokens have equal ids on the three axes, so this changes nothing for text; it changes
    only how image tokens are told apart by position. Qwen2.5-VL gives the lowest frequencies to
    width: in the toy base (head dim 32, theta 1e4, sections 2/7/7) rows differ by up to 0.3 rad
    per token and columns by under 0.006. ``(9, 0, 7)`` takes row positions away from the language
    model, an experiment on why the bases locate x and not y (docs/toy-research.md).
    """
    text = model.config.text_config
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    section = [int(v) for v in section]
    if len(section) != 3 or min(section) < 0 or sum(section) != head_dim // 2:
        raise ValueError(
            f"mrope_section must be 3 non-negative sizes summing to {head_dim // 2}, not {section}"
        )
    text.rope_parameters["mrope_section"] = section
    for module in model.modules():
        if hasattr(module, "mrope_section"):
            module.mrope_section = list(section)


def set_vision_attention(model: Any, local: bool) -> None:
    """Switch a toy model's vision tower between cell-local and Qwen2.5-VL's usual attention.

    Window size and full-attention blocks are not weights, so the same tower runs either way;
    what it computes changes (a local tower can no longer tell its token's column from the rest
    of the image, so the model must learn it again, from the language model's positions or from
    the background).
    """
    from grit.toy.model import vision_attention_layout

    vision = model.config.vision_config
    layout = vision_attention_layout(local, vision.depth)
    for key, value in layout.items():
        setattr(vision, key, value)
    for module in model.modules():
        if hasattr(module, "fullatt_block_indexes") and hasattr(module, "window_size"):
            module.window_size = layout["window_size"]
            module.fullatt_block_indexes = list(layout["fullatt_block_indexes"])


def _resume_state(out: Path, config: PretrainConfig, spec: ToyModelSpec) -> dict[str, Any] | None:
    """The saved state of an interrupted run in ``out`` (None if it has none), after checking that
    it was started with the same settings."""
    path = out / RESUME_STATE
    if not path.exists():
        if out.exists() and any(out.iterdir()):
            raise FileNotFoundError(f"{out} has no {RESUME_STATE} to resume from")
        return None
    saved = json.loads((out / "pretrain_config.json").read_text(encoding="utf-8"))
    now = json.loads(json.dumps({"config": asdict(config), "spec": asdict(spec)}))
    saved["config"].setdefault("loss_weighting", "token")  # runs from before these options existed
    saved["config"].setdefault("relation_curriculum_steps", 0)
    saved["config"].setdefault("relation_curriculum_words", None)
    for key in RESUME_NEUTRAL:
        saved["config"].pop(key, None)
        now["config"].pop(key, None)
    if saved != now:
        changed = sorted(k for k in now["config"] if now["config"][k] != saved["config"].get(k))
        changed += sorted(f"spec.{k}" for k in now["spec"] if now["spec"][k] != saved["spec"].get(k))
        raise ValueError(
            f"{out} was started with other settings ({', '.join(changed)} differ); resume with the same ones"
        )
    return torch.load(path, map_location="cpu", weights_only=False)


def save_base(model: Any, processor: Any, out: Path) -> None:
    """Save in bf16 safetensors (half the bytes; grit loads it in float32 on CPU)."""
    import copy

    model = copy.deepcopy(model).to("cpu", dtype=torch.bfloat16)
    model.config.dtype = "float32"  # load in full precision unless the user asks otherwise
    model.save_pretrained(out)
    processor.save_pretrained(out)
