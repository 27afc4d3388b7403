"""Held-out skill probes for a toy base: does it really see, and what can it do before any RL?

Issue 8 asks for proof that the vision is real before GRPO-GR: localisation IoU, direct counting
and left/right accuracy far above chance, and a clearly worse loss when the image is swapped for
another scene's. It also asks for the base's zero-shot rate of complete grounded chains under the
GRIT prompt, which should be low but not zero. Every probe draws fresh scenes from a seed the
pre-training stream never uses.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from grit.boxes import iou, union_iou
from grit.chain import is_grounded, parse_chain
from grit.generation import placeholder_token_ids
from grit.prompts import question_text
from grit.toy import tasks, world

TAG_RE = re.compile(r"<(/?)([a-z_]+)>")


def load(model_path: str, device: str | None = None) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(model_path, padding_side="left")
    model = AutoModelForImageTextToText.from_pretrained(model_path, dtype=torch.float32)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval(), processor


def _one_image_turn(processor: Any, prompt: str) -> str:
    """The chat text of a user turn of one image then ``prompt``, ready for the reply."""
    return processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}],
        add_generation_prompt=True,
        tokenize=False,
    )


def generate(
    model: Any,
    processor: Any,
    prompts: Sequence[str],
    images: Sequence[Any],
    max_new_tokens: int = 160,
    batch_size: int = 32,
    sample: bool = False,
    seed: int = 0,
) -> list[str]:
    """Replies to one-image user turns (greedy, or sampled at temperature 1), placeholders suppressed."""
    import torch

    suppress = placeholder_token_ids(processor)
    end = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    out: list[str] = []
    torch.manual_seed(seed)
    for start in range(0, len(prompts), batch_size):
        texts = [_one_image_turn(processor, p) for p in prompts[start : start + batch_size]]
        inputs = processor(
            text=texts, images=list(images[start : start + batch_size]), return_tensors="pt", padding=True
        ).to(model.device)
        kwargs: dict[str, Any] = {"do_sample": sample, "max_new_tokens": max_new_tokens, "use_cache": True}
        if sample:
            kwargs.update(temperature=1.0, top_k=0, top_p=1.0)
        with torch.inference_mode():
            ids = model.generate(**inputs, suppress_tokens=suppress, eos_token_id=end, **kwargs)
        new = ids[:, inputs["input_ids"].shape[1] :]
        out += [
            t.split("<|im_end|>")[0] for t in processor.tokenizer.batch_decode(new, skip_special_tokens=False)
        ]
    return [t.replace("<|endoftext|>", "") for t in out]


def _locate_prompt(name: str) -> str:
    """The probes' one localisation instruction, the first of the phrasings pre-training uses."""
    return f"Locate the {name} and output its bbox coordinates in JSON."


def _first_number(text: str) -> int | None:
    m = re.search(r"-?\d+", text)
    return int(m.group()) if m else None


def _first_word_of(text: str, words: Sequence[str]) -> str | None:
    """The first of ``words`` in ``text`` (a base may wrap its answer in tags it practised)."""
    found = re.findall(r"[a-z]+", text.lower())
    return next((w for w in found if w in words), None)


def _rate(values: Sequence[bool | float]) -> float:
    return sum(float(v) for v in values) / len(values) if values else 0.0


def probe_localisation(model, processor, n: int, seed: int, n_objects: int | None) -> dict[str, Any]:
    rng = random.Random(f"grit-toy-probe-locate:{seed}:{n_objects}")
    prompts, images, truth = [], [], []
    while len(prompts) < n:
        scene = world.sample_scene(rng, n_objects or rng.randint(1, 6))
        named = world.unique_kinds(scene)
        if not named:
            continue
        i = rng.choice(named)
        o = scene.objects[i]
        prompts.append(_locate_prompt(world.phrase(o.colour, o.shape)))
        images.append(scene.image)
        truth.append(scene.boxes[i])
    replies = generate(model, processor, prompts, images, max_new_tokens=40)
    scores = [_score_box(parse_chain(reply).boxes, box) for reply, box in zip(replies, truth, strict=True)]
    ious, rows, columns, x_offsets, y_offsets = zip(*scores, strict=True)
    return {
        "mean_iou": _rate(ious),
        "iou_at_0.5": _rate([v >= 0.5 for v in ious]),
        # which grid row / column the box's centre falls in: the base's boxes were right in x and
        # wrong in y, and these two numbers tell such an axis failure from a poor box fit
        "row_correct": _rate(rows),
        "column_correct": _rate(columns),
        # where the box starts inside its grid cell (within 2 px), whichever cell that is: the
        # shipped base gets the y offset right and the row wrong, so it sees the object's shape
        # and place in its token and misses only which token (row) holds it
        "x_offset_correct": _rate(x_offsets),
        "y_offset_correct": _rate(y_offsets),
        "n": n,
    }


def probe_locate_all(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Boxing every object of a category in 1-6-object scenes: the first half of a counting chain.

    A grounded counting answer is the length of such a list (``box_reasoning`` counts a given list
    exactly), so the share of lists with exactly the right number of boxes bounds what grounding
    can do for counting accuracy.
    """
    rng = random.Random(f"grit-toy-probe-locate-all:{seed}")
    prompts, images, truth = [], [], []
    for k in range(n):
        scene, q = world.count_question(rng, k % 5)
        noun = q["question"].removeprefix("How many ").removesuffix(" are there?")
        prompts.append(f"Output the coordinates of all {noun} in JSON with key 'bbox_2d'.")
        images.append(scene.image)
        truth.append([scene.boxes[i] for i in q["about"]])
    replies = generate(model, processor, prompts, images, max_new_tokens=120)
    predicted = [[b.coords for b in parse_chain(reply).boxes] for reply in replies]
    return {
        "right_number_of_boxes": _rate([len(p) == len(t) for p, t in zip(predicted, truth, strict=True)]),
        "union_iou": _rate(
            [union_iou(p, t) if t or p else 1.0 for p, t in zip(predicted, truth, strict=True)]
        ),
        "n": n,
    }


def _score_box(boxes: Sequence[Any], truth: Sequence[float]) -> tuple[float, bool, bool, bool, bool]:
    """IoU, right row, right column, right x and y offset in the cell of a reply's first box."""
    if not boxes:
        return 0.0, False, False, False, False
    predicted = boxes[0].coords
    (row, column), (true_row, true_column) = _cell(predicted), _cell(truth)
    return (
        iou(predicted, truth),
        row == true_row,
        column == true_column,
        _same_offset(predicted[0], truth[0]),
        _same_offset(predicted[1], truth[1]),
    )


def _same_offset(predicted: float, true: float, tolerance: float = 2.0) -> bool:
    """Do two coordinates sit at the same place inside their (possibly different) grid cells?"""
    gap = abs(predicted % world.CELL - true % world.CELL)
    return min(gap, world.CELL - gap) <= tolerance


def _cell(box: Sequence[float]) -> tuple[int, int]:
    """The grid cell (row, column) holding a box's centre."""
    row = int((box[1] + box[3]) / 2 // world.CELL)
    column = int((box[0] + box[2]) / 2 // world.CELL)
    return min(world.GRID - 1, max(0, row)), min(world.GRID - 1, max(0, column))


def linear_readout_accuracy(
    features: Sequence[Any],
    labels: Sequence[int],
    n_classes: int,
    ridge: float = 10.0,
    fit_share: tuple[int, int] = (2, 3),
    standardise: bool = True,
) -> float:
    """Held-out accuracy of a ridge one-vs-rest readout, fitted on the first ``fit_share`` of the
    rows and scored on the rest. Standardised features let one ``ridge`` serve every layer."""
    import torch

    x = torch.stack(list(features)).float()
    if standardise:
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    x = torch.nn.functional.pad(x, (0, 1), value=1.0)
    y = torch.tensor(list(labels))
    targets = torch.nn.functional.one_hot(y, n_classes).float()
    m = len(x) * fit_share[0] // fit_share[1]
    weights = torch.linalg.solve(x[:m].T @ x[:m] + ridge * torch.eye(x.shape[1]), x[:m].T @ targets[:m])
    return (x[m:] @ weights).argmax(1).eq(y[m:]).float().mean().item()


# The visual-token readouts: raw tokens, half to fit and half to score.
_ridge_readout = partial(linear_readout_accuracy, ridge=1e-2, fit_share=(1, 2), standardise=False)


def probe_vision_position(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Can the object's row and column be read linearly from its own visual token?

    The language model gets an image token's position only through M-RoPE, which moves attention
    scores, not the values it reads; a box's coordinates must be read from the token's *content*,
    which the vision tower (relative 2-D RoPE only, no absolute embedding) has to learn to write.
    A ridge readout fitted on half of ``n`` one-object scenes and scored on the other half (chance
    0.25) shows which axes it writes: the shipped base writes the column (0.92) and not the row
    (0.28), and its boxes are right in x and wrong in y.
    """
    rng = random.Random(f"grit-toy-probe-vision-position:{seed}")
    features, cells = [], []
    for _ in range(max(n, 8)):
        scene = world.sample_scene(rng, 1)
        features += _object_tokens(model, processor, scene)
        cells.append(_cell(scene.boxes[0]))
    return {
        "row_readout": _ridge_readout(features, [r for r, _ in cells], world.GRID),
        "column_readout": _ridge_readout(features, [c for _, c in cells], world.GRID),
        "chance": 1 / world.GRID,
        "n": len(features),
    }


def probe_binding(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Does the box depend on the object named? Both objects of ``n`` two-object scenes, located in turn.

    Every base up to stage 8 wrote the same box whichever of the two was named (stage 8: 0.96):
    it boxed *an* object, so crowded localisation, counting and left/right could only be at chance.
    """
    rng = random.Random(f"grit-toy-probe-binding:{seed}")
    prompts, images, truth = [], [], []
    while len(prompts) < 2 * n:
        scene = world.sample_scene(rng, 2)
        if len(world.unique_kinds(scene)) < 2:
            continue
        for o, box in zip(scene.objects, scene.boxes, strict=True):
            prompts.append(_locate_prompt(world.phrase(o.colour, o.shape)))
            images.append(scene.image)
            truth.append(box)
    replies = generate(model, processor, prompts, images, max_new_tokens=40)
    named = [_score_box(parse_chain(r).boxes, box)[0] >= 0.5 for r, box in zip(replies, truth, strict=True)]
    return {
        "named_object_boxed": _rate(named),
        "same_box_for_both": _rate(
            [replies[k].strip() == replies[k + 1].strip() for k in range(0, 2 * n, 2)]
        ),
        "chance": 0.5,
        "n": n,
    }


def probe_question_objects(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Asked to box what a spatial question is about, does the base box both objects, in its order?

    A GRIT chain for "Is the A left of the B?" answers from its two boxes only if they are A's
    and B's, A first. The request is pre-training's own (``compose_grounding`` with one step), so
    a failure is the skill missing, not the prompt being new. Every base up to stage 12 boxed both
    in under a third of scenes, in the question's order about half of those times (docs/demo.md).
    """
    rng = random.Random(f"grit-toy-probe-question-objects:{seed}")
    prompts, images, truth = [], [], []
    for k in range(n):
        scene, q = world.spatial_question(rng, k % 2 == 0)
        tag = rng.choice(tasks.TAG_NAMES)
        step = tasks.step_phrase(rng, rng.choice(tasks.GROUNDING_VERBS), tag, last=True, late=True)
        prompts.append(f"\nQuestion: {q['question']} First, {step}.\n")
        images.append(scene.image)
        truth.append([scene.boxes[i] for i in q["about"]])
    replies = generate(model, processor, prompts, images, max_new_tokens=60)
    both, in_order, swapped = [], [], []
    for reply, (a, b) in zip(replies, truth, strict=True):
        written = [box.coords for box in parse_chain(reply).boxes][:2]
        hits = [0 if iou(box, a) >= 0.5 else 1 if iou(box, b) >= 0.5 else None for box in written]
        both.append(sorted(h for h in hits if h is not None) == [0, 1])
        in_order.append(hits == [0, 1])
        swapped.append(hits == [1, 0])
    return {
        "both_objects_boxed": _rate(both),
        "in_question_order": _rate(in_order),
        "in_swapped_order": _rate(swapped),
        "n": n,
    }


def image_tokens(model, processor, image) -> Any:
    """An image's merged visual tokens in reading order (one per 28-px cell), on the CPU."""
    import torch

    inputs = processor.image_processor(images=[image], return_tensors="pt").to(model.device)
    with torch.inference_mode():
        out = model.model.get_image_features(inputs["pixel_values"], inputs["image_grid_thw"])
    tokens = out.pooler_output if hasattr(out, "pooler_output") else out
    tokens = tokens[0] if isinstance(tokens, (list, tuple)) else tokens
    return tokens.float().cpu()


def _flat_cell(box: Sequence[float]) -> int:
    row, column = _cell(box)
    return row * world.GRID + column


def _object_tokens(model, processor, scene) -> list[Any]:
    """The merged visual token of each object of ``scene`` (one 28-px cell each)."""
    tokens = image_tokens(model, processor, scene.image)
    return [tokens[_flat_cell(box)] for box in scene.boxes]


def probe_vision_attributes(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Colour and shape read linearly from each object's own visual token, in 3-6-object scenes.

    Binding a name to an object needs both in the token; a fresh tower has colour (0.94) and less
    shape (0.79), and the stage-8 tower had let colour fade to 0.63 while shape rose to 0.94.
    """
    rng = random.Random(f"grit-toy-probe-vision-attributes:{seed}")
    features, colours, shapes = [], [], []
    for _ in range(n):
        scene = world.sample_scene(rng, rng.randint(3, 6))
        features += _object_tokens(model, processor, scene)
        colours += [world.TOY_COLOURS.index(o.colour) for o in scene.objects]
        shapes += [world.TOY_SHAPES.index(o.shape) for o in scene.objects]
    # One-object scenes, read from the token of an empty cell: near chance for a tower that keeps
    # what it sees local (a fresh one: colour 0.34, shape 0.28), far above it for one that
    # broadcasts the object to every token (stage 8: 0.46 / 0.58, its own token's colour 0.63),
    # which leaves nothing in a crowded scene for a name to bind to.
    elsewhere, lone_colours, lone_shapes = [], [], []
    for _ in range(max(n, 8)):
        scene = world.sample_scene(rng, 1)
        empty = next(i for i in range(world.GRID * world.GRID) if i != _flat_cell(scene.boxes[0]))
        elsewhere.append(image_tokens(model, processor, scene.image)[empty])
        lone_colours.append(world.TOY_COLOURS.index(scene.objects[0].colour))
        lone_shapes.append(world.TOY_SHAPES.index(scene.objects[0].shape))
    return {
        "colour_readout": _ridge_readout(features, colours, len(world.TOY_COLOURS)),
        "shape_readout": _ridge_readout(features, shapes, len(world.TOY_SHAPES)),
        "colour_from_empty_cell": _ridge_readout(elsewhere, lone_colours, len(world.TOY_COLOURS)),
        "shape_from_empty_cell": _ridge_readout(elsewhere, lone_shapes, len(world.TOY_SHAPES)),
        "colour_chance": 1 / len(world.TOY_COLOURS),
        "shape_chance": 1 / len(world.TOY_SHAPES),
        "n_objects": len(features),
    }


def _unlike_pair(rng: random.Random) -> world.ToyScene:
    """A two-object scene whose objects differ in colour and in shape, so either can be named."""
    shape, colour = rng.choice(world.TOY_SHAPES), rng.choice(world.TOY_COLOURS)
    unlike = (
        rng.choice([s for s in world.TOY_SHAPES if s != shape]),
        rng.choice([c for c in world.TOY_COLOURS if c != colour]),
    )
    return world.sample_scene(rng, 2, [(shape, colour), unlike])


def probe_box_by_one_word(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Box one of two unlike objects named by its colour alone, then by its shape alone.

    Which word finds its object: a base can answer "What colour is the circle?" (the shape word
    finds the circle, whose token carries its colour) and still not find "the red object". The
    answer's box is scored against the named object and against the other one; equal rates mean
    the word does not pick an object.
    """
    rng = random.Random(f"grit-toy-probe-box-by-one-word:{seed}")
    prompts, images, named, other, kinds = [], [], [], [], []
    for _ in range(n):
        scene = _unlike_pair(rng)
        i = rng.randrange(2)
        mine = scene.objects[i]
        for kind, name in (("colour", f"{mine.colour} object"), ("shape", mine.shape)):
            prompts.append(_locate_prompt(name))
            images.append(scene.image)
            named.append(scene.boxes[i])
            other.append(scene.boxes[1 - i])
            kinds.append(kind)
    replies = generate(model, processor, prompts, images, max_new_tokens=40)
    boxes = [parse_chain(r).boxes for r in replies]
    hits = [
        (_score_box(found, a)[0] >= 0.5, _score_box(found, b)[0] >= 0.5)
        for found, a, b in zip(boxes, named, other, strict=True)
    ]
    result: dict[str, Any] = {}
    for kind in ("colour", "shape"):
        mine_hits = [h for h, k in zip(hits, kinds, strict=True) if k == kind]
        result[f"by_{kind}_named_boxed"] = _rate([a for a, _ in mine_hits])
        result[f"by_{kind}_other_boxed"] = _rate([b for _, b in mine_hits])
    return result | {"n": n}


@contextmanager
def _eager_attention(model) -> Iterator[None]:
    """Eager attention for the block (the only kind that returns its weights), then the model's own."""
    before = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(before)


def _named_share(attentions: Sequence[Any], position: int, mine: Any, theirs: Any) -> Any:
    """Per layer and head, the share of ``position``'s attention on two objects' tokens that goes to ``mine``."""
    import torch

    rows = torch.stack([layer[0, :, position, :] for layer in attentions]).float().cpu()  # layer, head, key
    return rows[:, :, mine] / (rows[:, :, mine] + rows[:, :, theirs]).clamp_min(1e-12)


def _best_heads(shares: dict[str, Any], n: int) -> dict[str, Any]:
    """The head with the largest mean share of each kind, and that share."""
    result: dict[str, Any] = {"n": n, "chance": 0.5}
    for kind, share in shares.items():
        layer, head = divmod(int(share.argmax()), share.shape[1])
        result[f"{kind}_best_head_share"] = share.max().item()
        result[f"{kind}_best_head"] = f"layer {layer} head {head}"
    return result


def probe_name_attention(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Does any attention head look at the *named* object? Two-object scenes (the objects differ in
    colour and in shape), one of them named in a `where` or an attribute question.

    For every layer and head, the share of the attention that the answer's position (the last
    prompt token) gives the two objects' tokens which goes to the named one, averaged over ``n``
    scenes; reported for the head that follows the name most (0.5: none does; 1: one looks only at
    the named object). Being the best of 36 heads, it sits above 0.5 by chance (0.52-0.60 at
    n = 30-50). A base whose heads all split their attention evenly answers from what the objects'
    tokens carry together, for whichever object, not for the named one (see `named_or_other`).
    """
    import torch

    rng = random.Random(f"grit-toy-probe-name-attention:{seed}")
    image_token = model.config.image_token_id
    shares: dict[str, Any] = {"where": 0.0, "attribute": 0.0}  # per layer and head, mean over scenes
    with _eager_attention(model):
        for k in range(n):
            scene = _unlike_pair(rng)
            i = rng.randrange(2)
            obj = scene.objects[i]
            where = tasks.WHERE_COLUMN if k % 2 == 0 else tasks.WHERE_ROW
            questions = {
                "where": where.format(p=world.phrase(obj.colour, obj.shape)),
                "attribute": f"What colour is the {obj.shape}?",
            }
            for kind, question in questions.items():
                text = _one_image_turn(processor, question_text(question, "direct"))
                inputs = processor(text=[text], images=[scene.image], return_tensors="pt").to(model.device)
                with torch.inference_mode():
                    attentions = model(**inputs, output_attentions=True).attentions
                tokens = (inputs["input_ids"][0] == image_token).nonzero().flatten()
                mine, theirs = tokens[_flat_cell(scene.boxes[i])], tokens[_flat_cell(scene.boxes[1 - i])]
                shares[kind] = shares[kind] + _named_share(attentions, -1, mine, theirs) / n
    return _best_heads(shares, n)


def probe_name_selection(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Where does the naming word select its object: at the word itself, or where the reply starts?

    "Locate the red object" / "Locate the circle" over two unlike objects. For every layer and
    head, the share of the attention on the two objects' tokens that goes to the named one, from
    the naming word's own position and from the last prompt position (where the box is written),
    averaged over ``n`` scenes; the best head of each is reported (0.5: none selects). The image
    comes before the text, so the word's own position can look at the objects. Stage 12 selects by
    colour at the colour word (0.82, layer 1) but not at the reply (0.61), and by shape at the reply
    (0.79): the colour finds its object, and what it found is not carried to where the box is
    written, which is why "the red object" is boxed at chance (`box_by_one_word`).
    """
    import torch

    rng = random.Random(f"grit-toy-probe-name-selection:{seed}")
    image_token = model.config.image_token_id
    tokenizer = processor.tokenizer
    shares: dict[str, Any] = {}
    with _eager_attention(model):
        for _ in range(n):
            scene = _unlike_pair(rng)
            i = rng.randrange(2)
            obj = scene.objects[i]
            for kind, name, word in (
                ("colour", f"{obj.colour} object", obj.colour),
                ("shape", obj.shape, obj.shape),
            ):
                text = _one_image_turn(processor, _locate_prompt(name))
                inputs = processor(text=[text], images=[scene.image], return_tensors="pt").to(model.device)
                ids = inputs["input_ids"][0]
                word_ids = tokenizer(f" {word}", add_special_tokens=False)["input_ids"]
                word_position = _last_occurrence(ids.tolist(), word_ids)
                with torch.inference_mode():
                    attentions = model(**inputs, output_attentions=True).attentions
                tokens = (ids == image_token).nonzero().flatten()
                mine, theirs = tokens[_flat_cell(scene.boxes[i])], tokens[_flat_cell(scene.boxes[1 - i])]
                for where, position in (("word", word_position), ("reply", -1)):
                    key = f"{kind}_at_{where}"
                    shares[key] = shares.get(key, 0.0) + _named_share(attentions, position, mine, theirs) / n
    return _best_heads(shares, n)


def _last_occurrence(ids: Sequence[int], word: Sequence[int]) -> int:
    """The position of the last token of the last occurrence of ``word`` (token ids) in ``ids``."""
    for start in range(len(ids) - len(word), -1, -1):
        if list(ids[start : start + len(word)]) == list(word):
            return start + len(word) - 1
    raise ValueError(f"token ids {list(word)} are not in the prompt")


def probe_name_at_reply(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Does the word that names the object reach the position where the reply is written?

    "Locate the red object" / "Locate the circle" over two unlike objects; a linear readout of the
    named colour (shape) from the last prompt position's hidden state, at every layer, fitted on
    two thirds of the prompts and scored on the rest; the best layer is reported (chance 0.25 for
    colours, 0.33 for shapes). A word that never arrives there cannot select an object: M5 carried
    the shape (1.00 from layer 1) and no colour (0.16-0.38 at every layer), and boxed "the circle"
    right 0.92 of the time and "the red object" 0.52 (`box_by_one_word`). Being the best of the
    layers, the colour sits somewhat above chance when none carries it.
    """
    import torch

    rng = random.Random(f"grit-toy-probe-name-at-reply:{seed}")
    n = max(n, 12)  # the readout needs a few prompts of each word to fit and score
    states: dict[str, list[Any]] = {"colour": [], "shape": []}
    labels: dict[str, list[int]] = {"colour": [], "shape": []}
    for _ in range(n):
        scene = _unlike_pair(rng)
        obj = scene.objects[rng.randrange(2)]
        named = {
            "colour": (f"{obj.colour} object", world.TOY_COLOURS.index(obj.colour)),
            "shape": (obj.shape, world.TOY_SHAPES.index(obj.shape)),
        }
        for kind, (name, label) in named.items():
            text = _one_image_turn(processor, _locate_prompt(name))
            inputs = processor(text=[text], images=[scene.image], return_tensors="pt").to(model.device)
            with torch.inference_mode():
                hidden = model(**inputs, output_hidden_states=True).hidden_states
            states[kind].append(torch.stack([h[0, -1] for h in hidden]).float().cpu())  # layer, hidden
            labels[kind].append(label)
    result: dict[str, Any] = {}
    for kind, n_classes in (("colour", len(world.TOY_COLOURS)), ("shape", len(world.TOY_SHAPES))):
        per_layer = {
            layer: linear_readout_accuracy([s[layer] for s in states[kind]], labels[kind], n_classes)
            for layer in range(1, states[kind][0].shape[0])  # layer 0 is the same token's embedding
        }
        best = max(per_layer, key=per_layer.__getitem__)
        result[f"{kind}_best_layer_accuracy"] = per_layer[best]
        result[f"{kind}_best_layer"] = best
        result[f"{kind}_chance"] = 1 / n_classes
    return result | {"n": n}


def probe_visual_token_collapse(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Are the visual tokens still distinct? Their size against the text embeddings', and how alike
    an object's token and an empty cell's are, in ``n`` one-object scenes.

    A toy base trained from scratch on a mixed task stream can drive every visual token onto one
    large shared vector (norm 28 against 0.64 for text embeddings, cosine between an object's token
    and an empty cell's 0.99995, 0.78 at initialisation) and then answers without looking: the
    held-out loss is the same with another scene's image. A cosine near 1 is that failure.
    """
    import torch

    rng = random.Random(f"grit-toy-probe-collapse:{seed}")
    norms, cosines = [], []
    for _ in range(max(n, 4)):
        scene = world.sample_scene(rng, 1)
        tokens = image_tokens(model, processor, scene.image)
        own = _flat_cell(scene.boxes[0])
        empty = torch.cat([tokens[:own], tokens[own + 1 :]])
        norms.append(tokens.norm(dim=-1).mean().item())
        cosines.append(torch.nn.functional.cosine_similarity(empty, tokens[own][None], dim=-1).mean().item())
    text = model.get_input_embeddings().weight.detach().float().norm(dim=-1).mean().item()
    return {
        "visual_token_norm": sum(norms) / len(norms),
        "text_embedding_norm": text,
        "object_vs_empty_cosine": sum(cosines) / len(cosines),
        "n": len(norms),
    }


def probe_direct(model, processor, n: int, seed: int, family: str) -> dict[str, Any]:
    rng = random.Random(f"grit-toy-probe-direct:{seed}:{family}")
    prompts, images, answers = [], [], []
    for k in range(n):
        if family == "count":
            scene, q = world.count_question(rng, k % 5)
        elif family == "left/right":
            scene, q = world.spatial_question(rng, k % 2 == 0, ("left of", "right of"))
        else:
            scene, q = world.spatial_question(rng, k % 2 == 0, ("above", "below"))
        prompts.append(question_text(q["question"], "direct"))
        images.append(scene.image)
        answers.append(q["answer"])
    replies = generate(model, processor, prompts, images, max_new_tokens=8)
    if family == "count":
        correct = [_first_number(r) == int(a) for r, a in zip(replies, answers, strict=True)]
        chance = 0.2
    else:
        correct = [r.strip().lower().startswith(a) for r, a in zip(replies, answers, strict=True)]
        chance = 0.5
    return {"accuracy": _rate(correct), "chance": chance, "n": n}


def _questions_by_scene_size(
    rng: random.Random, n: int, ask: Callable[[world.ToyScene, int], tuple[str, Any, list[Any]] | None]
) -> Iterator[tuple[str, list[str], list[Any], list[Any], list[float]]]:
    """Yield (label, prompts, images, answers, unbound): n direct questions on one-object scenes,
    then on scenes of 2-4 objects, where binding a name to its object is needed.

    `ask(scene, k)` poses question k about the scene as (question, answer, the value the question
    asks for of every object in the scene), or returns None to draw another scene. `unbound` is,
    per question, how often answering for an object picked at random would be right: the score
    of a model that reads objects but not which one is named (0.4-0.6 with 2-4 objects, not the
    uniform chance).
    """
    for label, sizes in (("one_object", (1,)), ("two_to_four_objects", (2, 3, 4))):
        prompts, images, answers, unbound = [], [], [], []
        while len(prompts) < n:
            scene = world.sample_scene(rng, rng.choice(sizes))
            asked = ask(scene, len(prompts))
            if asked is None:
                continue
            question, answer, every = asked
            prompts.append(question_text(question, "direct"))
            images.append(scene.image)
            answers.append(answer)
            unbound.append(every.count(answer) / len(every))
        yield label, prompts, images, answers, unbound


def probe_attribute_questions(model, processor, n: int, seed: int) -> dict[str, Any]:
    """ "What colour is the circle?" / "What shape is the red object?" with 1 and with 2-4 objects.

    Reading what is *in* the named object's token is the other half of binding (locating it reads
    where it is). With one object no binding is needed, only reading; with several the name must
    pick the token. The stage-8 base does not read at all: a lone object's colour 0.06 (it answers
    with numbers).
    """
    rng = random.Random(f"grit-toy-probe-attribute-questions:{seed}")

    def ask(scene: world.ToyScene, k: int) -> tuple[str, str, list[str]] | None:
        shapes = [o.shape for o in scene.objects]
        colours = [o.colour for o in scene.objects]
        i = rng.randrange(len(scene.objects))
        if k % 2 == 0 and shapes.count(shapes[i]) == 1:
            return f"What colour is the {shapes[i]}?", colours[i], colours
        if k % 2 == 1 and colours.count(colours[i]) == 1:
            return f"What shape is the {colours[i]} object?", shapes[i], shapes
        return None

    result: dict[str, Any] = {}
    for label, prompts, images, answers, unbound in _questions_by_scene_size(rng, n, ask):
        replies = generate(model, processor, prompts, images, max_new_tokens=6)
        correct = [
            _first_word_of(r, world.TOY_COLOURS + world.TOY_SHAPES) == a
            for r, a in zip(replies, answers, strict=True)
        ]
        result[f"colour_{label}"] = _rate(correct[0::2])
        result[f"shape_{label}"] = _rate(correct[1::2])
        result[f"colour_{label}_any_object"] = _rate(unbound[0::2])
        result[f"shape_{label}_any_object"] = _rate(unbound[1::2])
    return result | {
        "colour_chance": 1 / len(world.TOY_COLOURS),
        "shape_chance": 1 / len(world.TOY_SHAPES),
        "n": n,
    }


def probe_where_questions(model, processor, n: int, seed: int) -> dict[str, Any]:
    """ "In which column, counting from 1 at the left, is the red circle?" (and rows), 1 and 2-4 objects.

    The attribute question about *place*: a base that boxes the same object whichever is named may
    have its positions on a route that does not follow the name; this row tells whether the
    position, asked for in words, does. Compare the 2-4-object rows with their `_any_object`
    reference, not with the uniform chance.
    """
    rng = random.Random(f"grit-toy-probe-where:{seed}")

    def ask(scene: world.ToyScene, k: int) -> tuple[str, int, list[int]] | None:
        named = world.unique_kinds(scene)
        if not named:
            return None
        i = rng.choice(named)
        p = world.phrase(scene.objects[i].colour, scene.objects[i].shape)
        columns = [box[0] // world.CELL + 1 for box in scene.boxes]
        rows = [box[1] // world.CELL + 1 for box in scene.boxes]
        if k % 2 == 0:
            return tasks.WHERE_COLUMN.format(p=p), columns[i], columns
        return tasks.WHERE_ROW.format(p=p), rows[i], rows

    result: dict[str, Any] = {}
    for label, prompts, images, answers, unbound in _questions_by_scene_size(rng, n, ask):
        replies = generate(model, processor, prompts, images, max_new_tokens=6)
        correct = [_first_number(r) == a for r, a in zip(replies, answers, strict=True)]
        result[f"column_{label}"] = _rate(correct[0::2])
        result[f"row_{label}"] = _rate(correct[1::2])
        result[f"column_{label}_any_object"] = _rate(unbound[0::2])
        result[f"row_{label}_any_object"] = _rate(unbound[1::2])
    return result | {"chance": 1 / world.GRID, "n": n}


def probe_named_or_other(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Binding in its plainest form: two objects that differ in colour, shape, column and row; asked
    the colour, shape, column or row of the one named, whose object does the answer describe?

    With 2-4 objects, answering for an object picked at random already scores about 0.5 (objects
    share colours and rows), which made earlier bases look as if they read the named object's
    colour. Here an answer is the named object's, the other's or neither, and a base that does
    not bind gives the other's as often as the named one's.
    """
    rng = random.Random(f"grit-toy-probe-named-or-other:{seed}")
    prompts, images, named, other, kinds = [], [], [], [], []
    while len(prompts) < 4 * n:
        scene = _unlike_pair(rng)
        (row_a, column_a), (row_b, column_b) = (_cell(box) for box in scene.boxes)
        if row_a == row_b or column_a == column_b:
            continue
        i = rng.randrange(2)
        values = [
            {"colour": o.colour, "shape": o.shape, "column": c + 1, "row": r + 1}
            for o, (r, c) in zip(scene.objects, (_cell(box) for box in scene.boxes), strict=True)
        ]
        mine = scene.objects[i]
        p = world.phrase(mine.colour, mine.shape)
        questions = {
            "colour": f"What colour is the {mine.shape}?",
            "shape": f"What shape is the {mine.colour} object?",
            "column": tasks.WHERE_COLUMN.format(p=p),
            "row": tasks.WHERE_ROW.format(p=p),
        }
        for kind, question in questions.items():
            prompts.append(question_text(question, "direct"))
            images.append(scene.image)
            named.append(values[i][kind])
            other.append(values[1 - i][kind])
            kinds.append(kind)
    replies = generate(model, processor, prompts, images, max_new_tokens=6)
    words = world.TOY_COLOURS + world.TOY_SHAPES
    answers = [
        _first_number(r) if kind in ("column", "row") else _first_word_of(r, words)
        for r, kind in zip(replies, kinds, strict=True)
    ]
    result: dict[str, Any] = {}
    for kind in ("colour", "shape", "column", "row"):
        rows = [(a, x, y) for a, x, y, k in zip(answers, named, other, kinds, strict=True) if k == kind]
        result[f"{kind}_named"] = _rate([a == x for a, x, _ in rows])
        result[f"{kind}_other"] = _rate([a == y for a, _, y in rows])
    return result | {"n": n}


def probe_box_reasoning(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Text-only arithmetic over boxes given in the prompt: counting a list, and how two boxes lie.

    This is the language-model half of a grounded answer (compare the coordinates one has output);
    a base that fails it cannot gain accuracy from a grounded chain even when it samples one.
    """
    rng = random.Random(f"grit-toy-probe-box-reasoning:{seed}")
    samples = [tasks.sample_task(rng, {"box_reasoning": 1.0}) for _ in range(n)]
    replies = generate(model, processor, [s.prompt for s in samples], [s.image for s in samples], 8)
    relation = [s.target in ("yes", "no") for s in samples]
    correct = [r.strip().lower() == s.target for r, s in zip(replies, samples, strict=True)]
    named = [tasks.sample_task(rng, {"box_relation": 1.0}) for _ in range(n)]
    named_replies = generate(model, processor, [s.prompt for s in named], [s.image for s in named], 8)
    return {
        "count_accuracy": _rate([c for c, rel in zip(correct, relation, strict=True) if not rel]),
        "relation_accuracy": _rate([c for c, rel in zip(correct, relation, strict=True) if rel]),
        # "Is the red circle left of the blue square?" with both objects' boxes given: what a
        # spatial chain's answer step must do with the boxes it has just written.
        "named_relation_accuracy": _rate(
            [r.strip().lower().startswith(s.target) for r, s in zip(named_replies, named, strict=True)]
        ),
        "relation_chance": 0.5,
        "n": n,
    }


def option_logprobs(
    model: Any,
    processor: Any,
    prompts: Sequence[str],
    images: Sequence[Any],
    replies: Sequence[str],
    options: Sequence[str],
    batch_size: int = 32,
) -> list[list[float]]:
    """Log-probability of each option as the continuation of each (prompt, image, reply so far).

    Teacher-forcing a reply's beginning separates "can it use what the reply holds" from "does it
    write the right thing": the answer is scored after a chain we choose, not one it sampled.
    Only the last few positions' logits are kept (a full-vocabulary logit tensor per token would
    not fit a batch in memory).
    """
    import torch

    tokenizer = processor.tokenizer
    option_ids = [tokenizer.encode(o, add_special_tokens=False) for o in options]
    texts, pictures, expected = [], [], []
    for prompt, image, reply in zip(prompts, images, replies, strict=True):
        head = _one_image_turn(processor, prompt) + reply
        for option, ids in zip(options, option_ids, strict=True):
            texts.append(head + option)
            pictures.append(image)
            expected.append(ids)
    flat: list[float] = []
    for start in range(0, len(texts), batch_size):
        inputs = processor(
            text=texts[start : start + batch_size],
            images=pictures[start : start + batch_size],
            return_tensors="pt",
            padding=True,
        ).to(model.device)
        keep = max(len(ids) for ids in option_ids) + 1
        with torch.inference_mode():
            logits = model(**inputs, logits_to_keep=keep).logits.float().log_softmax(-1)
        ids = inputs["input_ids"][:, -keep:]
        for row, want in enumerate(expected[start : start + batch_size]):
            # left padding: the option is the last `size` tokens, predicted one position earlier
            size = len(want)
            target = ids[row, keep - size :]
            if target.tolist() != want:
                raise ValueError(
                    f"option {tokenizer.decode(want)!r} is tokenised differently after the reply "
                    f"{texts[start + row][-40:]!r}; end the reply so that the option starts a new token"
                )
            flat.append(logits[row, keep - size - 1 : keep - 1].gather(-1, target[:, None]).sum().item())
    k = len(options)
    return [flat[i : i + k] for i in range(0, len(flat), k)]


def _forced_chain(boxes: list[Any], rethink: list[Any]) -> str:
    return f"<think> {tasks.boxes_json(boxes)} </think> <rethink> {tasks.boxes_json(rethink)} </rethink> <answer>"


def _pick(scores: list[list[float]], labels: Sequence[Any]) -> list[Any]:
    return [labels[max(range(len(row)), key=row.__getitem__)] for row in scores]


def probe_own_chain(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Answers read from a GRIT chain teacher-forced into the reply: the step GRPO-GR must build on.

    Under the GRIT prompt the reply is forced to ``<think> BOXES </think> <rethink> BOX </rethink>
    <answer>`` with the question's true boxes, and the answer is the option scored highest (yes /
    no, or 0-4). If the base compared the boxes of its own chain, its spatial answers would be right
    and would flip when the two boxes are swapped; a constant answer never flips. Counting forces
    the true boxes of the category, so the right count is the length of the list.
    """
    rng = random.Random(f"grit-toy-probe-own-chain:{seed}")
    prompts, images, replies, swapped, answers = [], [], [], [], []
    for k in range(n):
        scene, q = world.spatial_question(rng, k % 2 == 0)
        a, b = (scene.boxes[i] for i in q["about"])
        prompts.append(question_text(q["question"], "grit"))
        images.append(scene.image)
        replies.append(_forced_chain([a, b], [a]))
        swapped.append(_forced_chain([b, a], [b]))
        answers.append(q["answer"])
    yes_no = (" yes", " no")
    said = _pick(option_logprobs(model, processor, prompts, images, replies, yes_no), ("yes", "no"))
    said_swapped = _pick(option_logprobs(model, processor, prompts, images, swapped, yes_no), ("yes", "no"))
    count_prompts, count_images, count_replies, counts = [], [], [], []
    for k in range(n):
        scene, q = world.count_question(rng, k % 5)
        listed = [scene.boxes[i] for i in q["about"]]
        count_prompts.append(question_text(q["question"], "grit"))
        count_images.append(scene.image)
        count_replies.append(_forced_chain(listed, listed))
        counts.append(k % 5)
    digits = [f" {d}" for d in range(5)]
    counted = _pick(
        option_logprobs(model, processor, count_prompts, count_images, count_replies, digits), range(5)
    )
    right = [s == a for s, a in zip(said, answers, strict=True)]
    # per relation word: a chain read wrongly (e.g. comparing the last two boxes written, the
    # list's second and <rethink>'s) is right far *below* chance for some words and flips anyway
    words = [next(r for r in world.RELATIONS if f" {r} " in p) for p in prompts]
    by_word = {
        f"spatial_accuracy_{r.replace(' ', '_')}": _rate(
            [ok for ok, w in zip(right, words, strict=True) if w == r]
        )
        for r in world.RELATIONS
    }
    return {
        "spatial_accuracy": _rate(right),
        "spatial_yes_rate": _rate([s == "yes" for s in said]),
        "spatial_flips_with_swapped_boxes": _rate([s != t for s, t in zip(said, said_swapped, strict=True)]),
        **by_word,
        "spatial_chance": 0.5,
        "count_accuracy": _rate([c == t for c, t in zip(counted, counts, strict=True)]),
        "count_chance": 0.2,
        "n": n,
    }


def probe_image_swap(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Teacher-forced answer loss with the real image vs another scene's image."""
    import contextlib

    from grit.toy.pretrain import heldout_batches, heldout_loss

    batches = heldout_batches(processor, n, seed=10_000 + seed)
    losses = heldout_loss(model, batches, model.device, contextlib.nullcontext)
    return {
        "loss_real_image": losses["heldout_loss_real"],
        "loss_swapped_image": losses["heldout_loss_swapped"],
    }


def _tag_sequence(text: str) -> list[tuple[str, str]]:
    return TAG_RE.findall(text)


def probe_tags(model, processor, n: int, seed: int) -> dict[str, Any]:
    """Multi-step tag-following on held-out compositions: the reply's tags, in order, as instructed."""
    rng = random.Random(f"grit-toy-probe-tags:{seed}")
    samples = [tasks.sample_task(rng, {"compose": 1.0}) for _ in range(n)]
    replies = generate(model, processor, [s.prompt for s in samples], [s.image for s in samples], 200)
    ok = [_tag_sequence(r) == _tag_sequence(s.target) for r, s in zip(replies, samples, strict=True)]
    return {"format_following": _rate(ok), "n": n}


def grit_questions(n: int, seed: int) -> tuple[list[str], list[Any], list[str]]:
    rng = random.Random(f"grit-toy-probe-grit:{seed}")
    prompts, images, answers = [], [], []
    for k in range(n):
        scene, q = world.count_question(rng, k % 5) if k % 2 == 0 else world.spatial_question(rng, k % 4 == 1)
        prompts.append(question_text(q["question"], "grit"))
        images.append(scene.image)
        answers.append(q["answer"])
    return prompts, images, answers


def probe_grit_zero_shot(model, processor, n: int, seed: int, samples: int = 4) -> dict[str, Any]:
    """Rate of complete grounded chains under the GRIT prompt, greedy and sampled (temperature 1)."""
    prompts, images, _ = grit_questions(n, seed)
    greedy = generate(model, processor, prompts, images, max_new_tokens=200)
    sampled = generate(
        model, processor, prompts * samples, images * samples, max_new_tokens=200, sample=True, seed=seed
    )
    return {
        "chain_rate_greedy": _rate([is_grounded(parse_chain(t)) for t in greedy]),
        "chain_rate_sampled": _rate([is_grounded(parse_chain(t)) for t in sampled]),
        "n": n,
        "examples": greedy[:3],
    }


# Each row of the skill table: (model, processor, n, seed) -> its figures. Some rows cap or raise
# n where their statistic needs it (attention and readouts are slower; readouts need enough fits).
PROBE_ROWS: dict[str, Callable[[Any, Any, int, int], dict[str, Any]]] = {
    "localisation_one_object": lambda m, p, n, s: probe_localisation(m, p, n, s, n_objects=1),
    "localisation_1_to_6_objects": lambda m, p, n, s: probe_localisation(m, p, n, s, n_objects=None),
    "locate_all_1_to_6_objects": probe_locate_all,
    "binding_two_objects": probe_binding,
    "question_objects": probe_question_objects,
    "vision_position": lambda m, p, n, s: probe_vision_position(m, p, max(n, 200), s),
    "vision_attributes": lambda m, p, n, s: probe_vision_attributes(m, p, max(n, 100), s),
    "attribute_questions": probe_attribute_questions,
    "where_questions": probe_where_questions,
    "named_or_other": probe_named_or_other,
    "box_by_one_word": probe_box_by_one_word,
    "name_attention": lambda m, p, n, s: probe_name_attention(m, p, min(n, 50), s),
    "name_at_reply": lambda m, p, n, s: probe_name_at_reply(m, p, min(n, 150), s),
    "name_selection": lambda m, p, n, s: probe_name_selection(m, p, min(n, 50), s),
    "visual_token_collapse": lambda m, p, n, s: probe_visual_token_collapse(m, p, min(n, 50), s),
    "count_0_to_4": lambda m, p, n, s: probe_direct(m, p, n, s, "count"),
    "left_right": lambda m, p, n, s: probe_direct(m, p, n, s, "left/right"),
    "above_below": lambda m, p, n, s: probe_direct(m, p, n, s, "above/below"),
    "box_reasoning": probe_box_reasoning,
    "own_chain": probe_own_chain,
    "image_swap": lambda m, p, n, s: probe_image_swap(m, p, min(n, 128), s),
    "tag_following": probe_tags,
    "grit_zero_shot": probe_grit_zero_shot,
}


def probe_skills(
    model_path: str,
    n: int = 200,
    seed: int = 0,
    device: str | None = None,
    rows: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The skill table, or only ``rows`` of it (in the table's order): each row draws its own scenes
    from its own seed, so a row's figures are the same whether it runs alone or with the rest."""
    unknown = [row for row in rows or () if row not in PROBE_ROWS]
    if unknown:
        raise ValueError(f"unknown probe rows {unknown}; the rows are: {', '.join(PROBE_ROWS)}")
    model, processor = load(model_path, device)
    chosen = [row for row in PROBE_ROWS if rows is None or row in rows]
    return {row: PROBE_ROWS[row](model, processor, n, seed) for row in chosen}


def format_skill_table(skills: dict[str, Any]) -> str:
    from grit.evaluate.metrics import align_table

    rows = []
    for name, values in skills.items():
        cells = [
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in values.items()
            if k != "examples"
        ]
        rows.append([name, "  ".join(cells)])
    return align_table(["skill", "held-out result"], rows)
