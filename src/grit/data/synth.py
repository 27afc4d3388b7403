"""The synthetic toy world: scenes of flat shapes with exact boxes, written in the GRIT data format.

Why it looks the way it does (see docs/data.md and TOY-NOTES): a small vision model must be able
to learn it, so shapes are flat, aliased (every pixel is exactly the object's colour or not),
high-contrast against light backgrounds and at least ``min_object_frac`` of the image side.
Boxes are the tight boxes of each object's *visible* pixels, in pixel-edge coordinates
(``[x1, y1, x2, y2]`` covers pixel columns ``x1 .. x2-1``), computed from a label map rendered
with the very same draw calls as the image, so they are exact by construction.

Answers are balanced by stratification, not by chance: for ``n`` rows of a family, the answers
(counts, yes/no, colours, shapes) are a shuffled, evenly cycled list, so even 10 rows hold each
count 0-4 twice and 5 "yes" / 5 "no".
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 80, 220),
    "orange": (245, 140, 10),
    "purple": (140, 50, 190),
    "black": (20, 20, 20),
    "cyan": (0, 170, 190),
    "brown": (130, 80, 30),
}
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
PLURALS = {"cross": "crosses"}
BACKGROUNDS: tuple[tuple[int, int, int], ...] = (
    (245, 245, 245),
    (236, 230, 218),
    (222, 234, 246),
    (228, 242, 226),
    (244, 230, 240),
    (226, 226, 226),
)
RELATIONS = ("left of", "right of", "above", "below", "next to")
FAMILIES = ("count", "spatial", "existence", "attribute", "where")
FAMILY_DATASET = {
    "count": "toy_count",
    "spatial": "toy_spatial",
    "existence": "toy_existence",
    "attribute": "toy_attribute",
    "where": "toy_where",
}


@dataclass
class SynthConfig:
    """Everything that shapes the toy world. Defaults follow the paper's split (train counts 0-4)."""

    image_size: int = 224
    colours: tuple[str, ...] = ("red", "green", "blue", "orange", "purple")
    shapes: tuple[str, ...] = SHAPES
    relations: tuple[str, ...] = RELATIONS
    # family -> weight; rows per family are round(n * weight / total), remainder to the first families
    families: dict[str, float] = field(
        default_factory=lambda: {
            "count": 0.3,
            "spatial": 0.3,
            "existence": 0.15,
            "attribute": 0.1,
            "where": 0.15,
        }
    )
    count_range: tuple[int, int] = (0, 4)
    yes_ratio: float = 0.5
    min_object_frac: float = 1 / 8  # smallest object side as a fraction of the image side
    max_object_frac: float = 0.28
    max_distractors: int = 3
    max_occlusion: float = 0.15  # at most this fraction of a box may be covered (count/existence scenes)
    margin_frac: float = 0.05  # spatial yes/no need this clear gap (fraction of the side)
    near_frac: float = 0.06  # "next to": gap at most this ...
    far_frac: float = 0.3  # ... and "not next to": gap at least this
    grid: int = 0  # snap object positions to this many pixels (e.g. 28 for Qwen2.5-VL's merged tokens)
    gradient_prob: float = 0.5  # chance of a two-colour gradient background

    def __post_init__(self) -> None:
        unknown = [c for c in self.colours if c not in COLOURS]
        if unknown:
            raise ValueError(f"unknown colours {unknown}; available: {sorted(COLOURS)}")
        bad_shapes = [s for s in self.shapes if s not in SHAPES]
        if bad_shapes:
            raise ValueError(f"unknown shapes {bad_shapes}; available: {list(SHAPES)}")
        if len(self.colours) < 2 or len(self.shapes) < 2:
            raise ValueError("need at least two colours and two shapes")
        bad_rel = [r for r in self.relations if r not in RELATIONS]
        if bad_rel:
            raise ValueError(f"unknown relations {bad_rel}; available: {list(RELATIONS)}")
        bad_fam = [f for f in self.families if f not in FAMILIES]
        if bad_fam:
            raise ValueError(f"unknown families {bad_fam}; available: {list(FAMILIES)}")
        lo, hi = self.count_range
        if not 0 <= lo <= hi:
            raise ValueError(f"count_range must be 0 <= lo <= hi, got {self.count_range}")
        if not 0 < self.min_object_frac <= self.max_object_frac <= 0.5:
            raise ValueError("need 0 < min_object_frac <= max_object_frac <= 0.5")
        if not 0.0 <= self.yes_ratio <= 1.0:
            raise ValueError("yes_ratio must be in [0, 1]")
        if self.image_size < 32:
            raise ValueError("image_size must be at least 32")


@dataclass
class Obj:
    """One object of a scene: its kind and where it was drawn (``x, y`` top-left, ``size`` side in px)."""

    shape: str
    colour: str
    x: int
    y: int
    size: int

    @property
    def full_box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.x + self.size, self.y + self.size)

    def name(self) -> str:
        return f"{self.colour} {self.shape}"


@dataclass
class Scene:
    """A renderable scene: background and objects in drawing order (later objects on top)."""

    size: int
    background: tuple[int, int, int]
    background2: tuple[int, int, int] | None = None  # gradient end colour, or None for plain
    gradient: str = "vertical"  # vertical | horizontal
    objects: list[Obj] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["objects"] = [asdict(o) for o in self.objects]
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Scene:
        return Scene(
            size=int(data["size"]),
            background=tuple(data["background"]),
            background2=tuple(data["background2"]) if data.get("background2") else None,
            gradient=data.get("gradient", "vertical"),
            objects=[Obj(**o) for o in data["objects"]],
        )


# ---------------------------------------------------------------- rendering


def _draw_shape(draw: Any, obj: Obj, fill: Any) -> None:
    x0, y0, s = obj.x, obj.y, obj.size
    x1, y1 = x0 + s - 1, y0 + s - 1
    if obj.shape == "square":
        draw.rectangle([x0, y0, x1, y1], fill=fill)
    elif obj.shape == "circle":
        draw.ellipse([x0, y0, x1, y1], fill=fill)
    elif obj.shape == "triangle":
        draw.polygon([(x0, y1), (x1, y1), (x0 + (s - 1) / 2, y0)], fill=fill)
    elif obj.shape == "diamond":
        cx, cy = x0 + (s - 1) / 2, y0 + (s - 1) / 2
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=fill)
    elif obj.shape == "cross":
        t = max(2, round(s / 3))
        a = x0 + (s - t) // 2
        b = y0 + (s - t) // 2
        draw.rectangle([a, y0, a + t - 1, y1], fill=fill)
        draw.rectangle([x0, b, x1, b + t - 1], fill=fill)
    else:
        raise ValueError(f"unknown shape {obj.shape!r}")


def _background(scene: Scene) -> Any:
    from PIL import Image

    if scene.background2 is None:
        return Image.new("RGB", (scene.size, scene.size), scene.background)
    import numpy as np

    t = np.linspace(0.0, 1.0, scene.size, dtype=np.float32)[:, None]
    line = (1 - t) * np.array(scene.background, np.float32) + t * np.array(scene.background2, np.float32)
    line = np.rint(line).astype(np.uint8)  # (size, 3)
    if scene.gradient == "vertical":
        arr = np.broadcast_to(line[:, None, :], (scene.size, scene.size, 3))
    else:
        arr = np.broadcast_to(line[None, :, :], (scene.size, scene.size, 3))
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


def render_scene(scene: Scene) -> tuple[Any, Any]:
    """The RGB image and a label map (pixel value ``i + 1`` where object ``i`` is visible, 0 elsewhere)."""
    from PIL import Image, ImageDraw

    image = _background(scene)
    labels = Image.new("L", (scene.size, scene.size), 0)
    draw_img, draw_lab = ImageDraw.Draw(image), ImageDraw.Draw(labels)
    for index, obj in enumerate(scene.objects):
        _draw_shape(draw_img, obj, COLOURS[obj.colour])
        _draw_shape(draw_lab, obj, index + 1)
    return image, labels


def visible_boxes(labels: Any, n_objects: int) -> tuple[list[list[float] | None], list[int]]:
    """Tight pixel-edge box of each object's visible pixels (None if hidden) and its pixel count."""
    hist = labels.histogram()
    boxes: list[list[float] | None] = []
    for k in range(1, n_objects + 1):
        lut = [0] * 256
        lut[k] = 255
        bbox = labels.point(lut).getbbox()
        boxes.append([float(v) for v in bbox] if bbox else None)
    return boxes, hist[1 : n_objects + 1]


def shape_area(obj: Obj) -> int:
    """Pixels the object covers when drawn alone."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (obj.x + obj.size + 1, obj.y + obj.size + 1), 0)
    _draw_shape(ImageDraw.Draw(img), obj, 1)
    return img.histogram()[1]


# ---------------------------------------------------------------- placement


class _Retry(Exception):
    """This draw of a scene did not work out; draw again from the same random stream."""


def _inter(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def _gap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    dx = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return math.hypot(dx, dy)


class _Builder:
    """Places objects one by one under the overlap rules of the config."""

    def __init__(self, cfg: SynthConfig, rng: random.Random, n_planned: int) -> None:
        self.cfg, self.rng, self.objects = cfg, rng, []
        self.protected: set[int] = set()  # objects the question is about: never overlapped
        side = cfg.image_size
        lo = max(4, round(cfg.min_object_frac * side))
        # crowded scenes get smaller objects so everything fits, but never below the minimum
        cap = side * math.sqrt(0.3 / max(1, n_planned))
        hi = max(lo, min(round(cfg.max_object_frac * side), round(cap)))
        self.size_range = (lo, hi)

    def _size(self) -> int:
        return self.rng.randint(*self.size_range)

    def _position(self, size: int) -> tuple[int, int]:
        limit = self.cfg.image_size - size
        x, y = self.rng.randint(0, limit), self.rng.randint(0, limit)
        g = self.cfg.grid
        if g:
            x = min(limit - limit % g, round(x / g) * g)
            y = min(limit - limit % g, round(y / g) * g)
        return x, y

    def fits(self, box: tuple[int, int, int, int], protect: bool) -> bool:
        area = (box[2] - box[0]) * (box[3] - box[1])
        for i, other in enumerate(self.objects):
            ob = other.full_box
            inter = _inter(box, ob)
            if (protect or i in self.protected) and _gap(box, ob) < 2:
                return False
            if inter > self.cfg.max_occlusion * min(area, other.size**2):
                return False
        return True

    def add(self, shape: str, colour: str, protect: bool = False, where: Any = None, tries: int = 60) -> Obj:
        """Place one object; ``where(box) -> bool`` adds a constraint (e.g. a spatial relation)."""
        for _ in range(tries):
            size = self._size()
            x, y = self._position(size)
            obj = Obj(shape, colour, x, y, size)
            if (where is None or where(obj.full_box)) and self.fits(obj.full_box, protect):
                if protect:
                    self.protected.add(len(self.objects))
                self.objects.append(obj)
                return obj
        raise _Retry


# ---------------------------------------------------------------- question families


def _plural(shape: str) -> str:
    return PLURALS.get(shape, shape + "s")


def _stratified(values: list[Any], n: int, rng: random.Random) -> list[Any]:
    """``n`` values cycling evenly through ``values`` (balanced), in a seeded random order."""
    out = [values[i % len(values)] for i in range(n)]
    rng.shuffle(out)
    return out


def _yes_no_targets(n: int, ratio: float, rng: random.Random) -> list[bool]:
    n_yes = round(n * ratio)
    out = [True] * n_yes + [False] * (n - n_yes)
    rng.shuffle(out)
    return out


def _other(options: tuple[str, ...], exclude: str, rng: random.Random) -> str:
    return rng.choice([o for o in options if o != exclude])


def _distractor(cfg: SynthConfig, rng: random.Random, forbidden: Any) -> tuple[str, str]:
    """A (shape, colour) for which ``forbidden(shape, colour)`` is false."""
    for _ in range(100):
        shape, colour = rng.choice(cfg.shapes), rng.choice(cfg.colours)
        if not forbidden(shape, colour):
            return shape, colour
    raise _Retry


def _q_count(cfg: SynthConfig, rng: random.Random, target: int) -> tuple[dict[str, Any], _Builder]:
    kind = rng.choice(("shape", "colour_shape", "colour"))
    shape, colour = rng.choice(cfg.shapes), rng.choice(cfg.colours)
    if kind == "shape":
        phrase, match = _plural(shape), (lambda s, c: s == shape)
    elif kind == "colour":
        phrase, match = f"{colour} shapes", (lambda s, c: c == colour)
    else:
        phrase, match = f"{colour} {_plural(shape)}", (lambda s, c: s == shape and c == colour)
    n_distract = rng.randint(1 if target == 0 else 0, cfg.max_distractors)
    builder = _Builder(cfg, rng, target + n_distract)
    kinds = [("target", None)] * target + [("distractor", None)] * n_distract
    rng.shuffle(kinds)
    for role, _ in kinds:
        if role == "target":
            s = shape if kind != "colour" else rng.choice(cfg.shapes)
            c = colour if kind != "shape" else rng.choice(cfg.colours)
            builder.add(s, c)
        else:
            builder.add(*_distractor(cfg, rng, match))
    template = rng.choice(
        ("How many {p} are there?", "How many {p} are in the image?", "How many {p} can you see?")
    )
    about = [i for i, o in enumerate(builder.objects) if match(o.shape, o.colour)]
    q = {
        "question": template.format(p=phrase),
        "answer": str(target),
        "about": about,
        "question_type": "count",
    }
    q["meta"] = {"target": phrase, "count": target}
    return q, builder


def _relation_holds(rel: str, a: tuple, b: tuple, cfg: SynthConfig, answer: bool) -> bool:
    """True when the relation clearly has truth value ``answer`` (ambiguous placements are rejected)."""
    side = cfg.image_size
    m = cfg.margin_frac * side
    if rel in ("left of", "right of"):
        left = a[2] + m <= b[0]
        right = a[0] >= b[2] + m
        yes, no = (left, right) if rel == "left of" else (right, left)
    elif rel in ("above", "below"):
        up = a[3] + m <= b[1]
        down = a[1] >= b[3] + m
        yes, no = (up, down) if rel == "above" else (down, up)
    else:  # next to
        gap = _gap(a, b)
        yes, no = 2 <= gap <= cfg.near_frac * side, gap >= cfg.far_frac * side
    return yes if answer else no


def _q_spatial(
    cfg: SynthConfig, rng: random.Random, answer: bool, rel: str
) -> tuple[dict[str, Any], _Builder]:
    n_distract = rng.randint(0, min(2, cfg.max_distractors))
    builder = _Builder(cfg, rng, 2 + n_distract)
    sa, ca = rng.choice(cfg.shapes), rng.choice(cfg.colours)
    sb, cb = rng.choice(cfg.shapes), rng.choice(cfg.colours)
    if (sa, ca) == (sb, cb):
        cb = _other(cfg.colours, ca, rng)
    a = builder.add(sa, ca, protect=True, tries=1)
    b = builder.add(
        sb, cb, protect=True, where=lambda box: _relation_holds(rel, a.full_box, box, cfg, answer)
    )
    for _ in range(n_distract):
        builder.add(*_distractor(cfg, rng, lambda s, c: (s, c) in {(sa, ca), (sb, cb)}))
    template = rng.choice(("Is the {a} {r} the {b}?", "Is the {a} {r} the {b}? Please answer yes or no."))
    rel_text = {"left of": "to the left of", "right of": "to the right of"}.get(rel, rel)
    q = {
        "question": template.format(a=a.name(), r=rel_text, b=b.name()),
        "answer": "yes" if answer else "no",
        "about": [0, 1],
        "question_type": "yes_no",
        "meta": {"relation": rel},
    }
    return q, builder


def _q_existence(cfg: SynthConfig, rng: random.Random, answer: bool) -> tuple[dict[str, Any], _Builder]:
    shape, colour = rng.choice(cfg.shapes), rng.choice(cfg.colours)
    n_yes = rng.randint(1, 2) if answer else 0
    n_distract = rng.randint(1, cfg.max_distractors)
    builder = _Builder(cfg, rng, n_yes + n_distract)
    for _ in range(n_yes):
        builder.add(shape, colour)
    for i in range(n_distract):
        if i == 0:  # a near miss (same colour or same shape) so that binding matters
            near = (
                (shape, _other(cfg.colours, colour, rng))
                if rng.random() < 0.5
                else (_other(cfg.shapes, shape, rng), colour)
            )
            builder.add(*near)
        else:
            builder.add(*_distractor(cfg, rng, lambda s, c: (s, c) == (shape, colour)))
    template = rng.choice(
        (
            "Is there a {n} in the image?",
            "Are there any {p}?",
            "Is there a {n} in this image? Please answer yes or no.",
        )
    )
    about = [i for i, o in enumerate(builder.objects) if (o.shape, o.colour) == (shape, colour)]
    q = {
        "question": template.format(n=f"{colour} {shape}", p=f"{colour} {_plural(shape)}"),
        "answer": "yes" if answer else "no",
        "about": about,
        "question_type": "yes_no",
        "meta": {"target": f"{colour} {shape}"},
    }
    return q, builder


def _q_attribute(cfg: SynthConfig, rng: random.Random, target: str) -> tuple[dict[str, Any], _Builder]:
    """``target`` is ``colour:red`` (ask the colour of a unique shape) or ``shape:circle``."""
    axis, value = target.split(":")
    n_distract = rng.randint(0, cfg.max_distractors)
    builder = _Builder(cfg, rng, 1 + n_distract)
    if axis == "colour":
        shape, colour = rng.choice(cfg.shapes), value
        builder.add(shape, colour, protect=True)
        for _ in range(n_distract):
            builder.add(*_distractor(cfg, rng, lambda s, c: s == shape))
        question = rng.choice(("What colour is the {s}?", "What is the colour of the {s}?")).format(s=shape)
    else:
        shape, colour = value, rng.choice(cfg.colours)
        builder.add(shape, colour, protect=True)
        for _ in range(n_distract):
            builder.add(*_distractor(cfg, rng, lambda s, c: c == colour))
        question = rng.choice(
            ("What shape is the {c} object?", "What is the shape of the {c} object?")
        ).format(c=colour)
    q = {"question": question, "answer": value, "about": [0], "question_type": "open", "meta": {"axis": axis}}
    return q, builder


def _q_where(cfg: SynthConfig, rng: random.Random, target: str) -> tuple[dict[str, Any], _Builder]:
    shape, colour = target.split(":")
    n_distract = rng.randint(0, cfg.max_distractors)
    builder = _Builder(cfg, rng, 1 + n_distract)
    builder.add(shape, colour, protect=True)
    for _ in range(n_distract):
        builder.add(*_distractor(cfg, rng, lambda s, c: (s, c) == (shape, colour)))
    question = rng.choice(("Where is the {n}?", "Locate the {n}.")).format(n=f"{colour} {shape}")
    q = {
        "question": question,
        "answer": "",
        "about": [0],
        "question_type": "box",
        "meta": {"target": f"{colour} {shape}"},
    }
    return q, builder


# ---------------------------------------------------------------- generation


@dataclass
class SynthReport:
    """What was generated: rows per family and the balance of answers and classes."""

    split: str
    rows: int = 0
    families: Counter = field(default_factory=Counter)
    answers: dict[str, Counter] = field(default_factory=dict)
    classes: dict[str, Counter] = field(default_factory=dict)
    rows_with_boxes: int = 0
    objects_per_image: Counter = field(default_factory=Counter)
    object_sizes: tuple[int, int] = (0, 0)

    def add(self, family: str, answer: str, scene: Scene, boxes: list) -> None:
        self.rows += 1
        self.families[family] += 1
        key = "box" if family == "where" else answer
        self.answers.setdefault(family, Counter())[key] += 1
        cls = self.classes.setdefault("shape", Counter())
        col = self.classes.setdefault("colour", Counter())
        for o in scene.objects:
            cls[o.shape] += 1
            col[o.colour] += 1
        self.rows_with_boxes += bool(boxes)
        self.objects_per_image[len(scene.objects)] += 1
        sizes = [o.size for o in scene.objects]
        lo, hi = self.object_sizes
        self.object_sizes = (min(sizes) if lo == 0 else min(lo, *sizes), max(hi, *sizes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "rows": self.rows,
            "families": dict(self.families),
            "answers": {k: dict(sorted(v.items())) for k, v in self.answers.items()},
            "classes": {k: dict(sorted(v.items())) for k, v in self.classes.items()},
            "rows_with_boxes": self.rows_with_boxes,
            "objects_per_image": {str(k): v for k, v in sorted(self.objects_per_image.items())},
            "object_size_px": list(self.object_sizes),
        }

    def summary(self) -> str:
        lines = [f"{self.split}: {self.rows} rows, {self.rows_with_boxes} with boxes"]
        lines.append("  families: " + ", ".join(f"{k}={v}" for k, v in sorted(self.families.items())))
        for fam, counter in sorted(self.answers.items()):
            lines.append(f"  {fam} answers: " + ", ".join(f"{k}={v}" for k, v in sorted(counter.items())))
        for axis, counter in sorted(self.classes.items()):
            lines.append(f"  {axis}s drawn: " + ", ".join(f"{k}={v}" for k, v in sorted(counter.items())))
        lines.append(f"  object side: {self.object_sizes[0]}-{self.object_sizes[1]} px")
        return "\n".join(lines)


def family_counts(n: int, families: dict[str, float]) -> dict[str, int]:
    """Rows per family: proportional to the weights, exact total ``n`` (largest remainders)."""
    weights = {f: w for f, w in families.items() if w > 0}
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("at least one family needs a positive weight")
    raw = {f: n * w / total for f, w in weights.items()}
    counts = {f: int(v) for f, v in raw.items()}
    for f in sorted(raw, key=lambda f: (-(raw[f] - counts[f]), list(weights).index(f)))[
        : n - sum(counts.values())
    ]:
        counts[f] += 1
    return counts


def plan(n: int, cfg: SynthConfig, seed: int, split: str) -> list[tuple[str, Any]]:
    """The (family, target answer) of every row, balanced and shuffled deterministically."""
    rng = random.Random(f"grit-toy-plan:{seed}:{split}")
    lo, hi = cfg.count_range
    items: list[tuple[str, Any]] = []
    for family, k in family_counts(n, cfg.families).items():
        if family == "count":
            items += [("count", t) for t in _stratified(list(range(lo, hi + 1)), k, rng)]
        elif family == "spatial":
            rels = _stratified(list(cfg.relations), k, rng)
            answers = _yes_no_targets(k, cfg.yes_ratio, rng)
            items += [("spatial", (a, r)) for a, r in zip(answers, rels, strict=True)]
        elif family == "existence":
            items += [("existence", a) for a in _yes_no_targets(k, cfg.yes_ratio, rng)]
        elif family == "attribute":
            targets = [f"colour:{c}" for c in cfg.colours] + [f"shape:{s}" for s in cfg.shapes]
            items += [("attribute", t) for t in _stratified(targets, k, rng)]
        elif family == "where":
            targets = [f"{s}:{c}" for s in cfg.shapes for c in cfg.colours]
            items += [("where", t) for t in _stratified(targets, k, rng)]
    rng.shuffle(items)
    return items


def make_row(
    cfg: SynthConfig, family: str, target: Any, rng: random.Random
) -> tuple[dict[str, Any], Scene, Any]:
    """One question with its scene and image; retries the scene until every rule holds."""
    for _ in range(200):
        try:
            if family == "count":
                q, builder = _q_count(cfg, rng, target)
            elif family == "spatial":
                q, builder = _q_spatial(cfg, rng, target[0], target[1])
            elif family == "existence":
                q, builder = _q_existence(cfg, rng, target)
            elif family == "attribute":
                q, builder = _q_attribute(cfg, rng, target)
            else:
                q, builder = _q_where(cfg, rng, target)
        except _Retry:
            continue
        background = rng.choice(BACKGROUNDS)
        background2 = rng.choice(BACKGROUNDS) if rng.random() < cfg.gradient_prob else None
        scene = Scene(
            cfg.image_size, background, background2, rng.choice(("vertical", "horizontal")), builder.objects
        )
        image, labels = render_scene(scene)
        boxes, visible = visible_boxes(labels, len(scene.objects))
        # every object must stay clearly visible (at least 60% of its own pixels)
        if any(
            b is None or v < 0.6 * shape_area(o)
            for o, b, v in zip(scene.objects, boxes, visible, strict=True)
        ):
            continue
        q["bboxs"] = [boxes[i] for i in q.pop("about")]
        if family == "where":
            q["answer"] = "[" + ", ".join(str(int(v)) for v in q["bboxs"][0]) + "]"
        q["object_boxes"] = boxes
        return q, scene, image
    raise RuntimeError(f"could not build a {family} scene for target {target!r}; relax the config")


def _scene_key(scene: Scene) -> tuple:
    return tuple((o.shape, o.colour, o.x, o.y, o.size) for o in scene.objects)


def generate_split(
    n: int,
    seed: int,
    out: str | Path,
    split: str = "train",
    config: SynthConfig | None = None,
    *,
    exclude_scenes: set[tuple] | None = None,
    name: str | None = None,
) -> tuple[Path, SynthReport, set[tuple]]:
    """Write ``n`` rows of one split: ``OUT/toy_<split>.jsonl`` and images in ``OUT/toy_<split>/``."""
    cfg = config or SynthConfig()
    out = Path(out)
    stem = name or f"toy_{split}"
    image_dir = out / stem
    image_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out / f"{stem}.jsonl"
    tmp = jsonl.with_name(jsonl.name + ".tmp")
    report = SynthReport(split)
    seen: set[tuple] = set()
    exclude = exclude_scenes or set()
    with tmp.open("w", encoding="utf-8") as fh:
        for index, (family, target) in enumerate(plan(n, cfg, seed, split)):
            rng = random.Random(f"grit-toy:{seed}:{split}:{index}")
            q, scene, image = make_row(cfg, family, target, rng)
            while _scene_key(scene) in exclude:  # keep eval scenes apart from train scenes
                q, scene, image = make_row(cfg, family, target, rng)
            seen.add(_scene_key(scene))
            file_name = f"{index:06d}.png"
            image.save(image_dir / file_name, format="PNG", compress_level=1)
            row = {
                "id": f"{index:06d}",
                "question": q["question"],
                "answer": q["answer"],
                "image": file_name,
                "width": cfg.image_size,
                "height": cfg.image_size,
                "bboxs": q["bboxs"],
                "dataset": FAMILY_DATASET[family],
                "split": split,
                "question_type": q["question_type"],
                "family": family,
                "meta": q["meta"],
                "scene": scene.to_json(),
                "object_boxes": q["object_boxes"],
            }
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
            report.add(family, q["answer"], scene, q["bboxs"])
    os.replace(tmp, jsonl)
    return jsonl, report, seen


def generate(
    n: int,
    seed: int,
    out: str | Path,
    *,
    n_eval: int = 0,
    config: SynthConfig | None = None,
    eval_config: SynthConfig | None = None,
    overwrite: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Write a train split of ``n`` rows and (if ``n_eval``) an eval split with different scenes.

    ``overrides`` are ``SynthConfig`` fields (e.g. ``image_size=112``) applied to ``config``.
    Returns ``{"train": path, "eval": path | None, "report": {...}, "summary": str}`` and writes the
    balance report to ``OUT/synth_report.json``. Deterministic for a seed.
    """
    out = Path(out)
    targets = [out / "toy_train.jsonl", out / "toy_eval.jsonl", out / "synth_report.json"]
    if not overwrite and any(p.exists() for p in targets):
        raise FileExistsError(
            f"{out} already holds toy data; pass overwrite=True (--overwrite) to replace it"
        )
    cfg = config or SynthConfig()
    if overrides:
        cfg = SynthConfig(**{**asdict(cfg), **overrides})
    train_path, train_report, seen = generate_split(n, seed, out, "train", cfg)
    result: dict[str, Any] = {"train": train_path, "eval": None}
    reports = {"train": train_report.to_dict()}
    summaries = [train_report.summary()]
    if n_eval:
        ecfg = eval_config or SynthConfig(**{**asdict(cfg), "count_range": (0, 9)})
        eval_path, eval_report, _ = generate_split(n_eval, seed, out, "eval", ecfg, exclude_scenes=seen)
        result["eval"] = eval_path
        reports["eval"] = eval_report.to_dict()
        summaries.append(eval_report.summary())
    reports["config"] = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
    reports["seed"] = seed
    (out / "synth_report.json").write_text(json.dumps(reports, indent=2) + "\n", encoding="utf-8")
    result["report"] = reports
    result["summary"] = "\n".join(summaries)
    return result
