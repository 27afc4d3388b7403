"""The demo's toy world: flat shapes on a 4 x 4 grid of 28-pixel cells in a 112-pixel image.

Why a grid (TOY-NOTES): Qwen2.5-VL merges 2 x 2 patches of 14 px into one visual token, so a
28-px cell is exactly one token. With at most one object per cell every token "owns" at most one
object, which makes seeing learnable for a model of a few million parameters in CPU hours. Inside
its cell an object has a random size and offset, so boxes still vary pixel by pixel.

Backgrounds: flat light colours (``BACKGROUND_STYLE = "plain"``, what the shipped base was trained
on), or three that put position into the pixels: ``"coordinate"`` (the scene's light colour with
red fading from left to right and blue from top to bottom), ``"position"`` (the same shading on one
fixed colour, so a pixel's colour alone gives its position) and ``"tiles"`` (one tint per grid cell,
red 40 levels darker per column and blue per row). Qwen2.5-VL's vision tower has only relative
(rotary) positions, so on a flat background a token cannot tell from its content where it is; these
were tried when the bases located objects in x but not in y, which turned out to be a mismatch of
positions between pre-training and generation (docs/toy-research.md), so they are options, not needed.

Rendering and exact boxes come from :mod:`grit.data.synth` (same draw calls for image and label
map). Questions are written in the GRIT JSONL format, so the demo's data goes through the same
loader, rewards and metrics as real data.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from grit.data.synth import BACKGROUNDS, Obj, Scene, render_scene, visible_boxes

IMAGE_SIZE = 112
CELL = 28
GRID = IMAGE_SIZE // CELL
TOY_COLOURS = ("red", "green", "blue", "orange")
TOY_SHAPES = ("circle", "square", "triangle")
RELATIONS = ("left of", "right of", "above", "below")
MIN_SIZE, MAX_SIZE, MARGIN = 14, 24, 1
BACKGROUND_STYLES = ("coordinate", "plain", "position", "tiles")
BACKGROUND_STYLE = "plain"  # the toy world's background (the shipped base's); the others are shaded
SHADE = 80  # how much darker the red (right edge) and blue (bottom edge) channels get
POSITION_BASE = (245, 245, 245)  # the one base colour of the "position" and "tiles" styles
TILE_STEP = 40  # "tiles": how much darker red gets per grid column and blue per grid row


@dataclass
class ToyScene:
    """A rendered scene: objects in reading order (row by row), their exact boxes and the image."""

    scene: Scene
    boxes: list[list[int]]
    image: Any

    @property
    def objects(self) -> list[Obj]:
        return self.scene.objects

    def matching(self, colour: str | None = None, shape: str | None = None) -> list[int]:
        """Indices of the objects of ``colour`` and/or ``shape`` (None matches any)."""
        return [
            i
            for i, o in enumerate(self.objects)
            if (colour is None or o.colour == colour) and (shape is None or o.shape == shape)
        ]


def _cell_of(obj: Obj) -> tuple[int, int]:
    return obj.y // CELL, obj.x // CELL


def sample_scene(rng: random.Random, n_objects: int, kinds: list[tuple[str, str]] | None = None) -> ToyScene:
    """A scene of ``n_objects`` in distinct cells; ``kinds`` fixes the first (shape, colour) pairs."""
    if not 0 <= n_objects <= GRID * GRID:
        raise ValueError(f"n_objects must be in 0..{GRID * GRID}")
    cells = rng.sample(range(GRID * GRID), n_objects)
    kinds = list(kinds or [])
    objects = []
    for k, cell in enumerate(cells):
        shape, colour = kinds[k] if k < len(kinds) else (rng.choice(TOY_SHAPES), rng.choice(TOY_COLOURS))
        size = rng.randint(MIN_SIZE, MAX_SIZE)
        row, col = divmod(cell, GRID)
        x = col * CELL + rng.randint(MARGIN, CELL - size - MARGIN)
        y = row * CELL + rng.randint(MARGIN, CELL - size - MARGIN)
        objects.append(Obj(shape, colour, x, y, size))
    return render(objects, rng.choice(BACKGROUNDS))


def set_background_style(style: str) -> None:
    """Choose the background of every scene drawn from now on (``coordinate`` or ``plain``)."""
    global BACKGROUND_STYLE
    if style not in BACKGROUND_STYLES:
        raise ValueError(f"background style must be one of {BACKGROUND_STYLES}, not {style!r}")
    BACKGROUND_STYLE = style


@contextmanager
def using_background(style: str | None) -> Iterator[None]:
    """Draw scenes with ``style`` inside the block (None keeps the current one), then restore it."""
    previous = BACKGROUND_STYLE
    if style is not None:
        set_background_style(style)
    try:
        yield
    finally:
        set_background_style(previous)


def trained_background(model_dir: str | Path) -> str:
    """The background a toy model was pre-trained on (its ``pretrain_config.json``; else plain).

    A toy base sees only its own world's backgrounds, so its demo data and probes must use it too.
    """
    path = Path(model_dir) / "pretrain_config.json"
    if not path.exists():
        return "plain"
    style = json.loads(path.read_text(encoding="utf-8")).get("config", {}).get("background", "plain")
    if style not in BACKGROUND_STYLES:
        raise ValueError(f"{path}: config.background must be one of {BACKGROUND_STYLES}, not {style!r}")
    return style


@cache  # one per base colour: drawn for every scene of the pre-training stream otherwise
def shaded_background(background: tuple[int, int, int]) -> Any:
    """The light ``background`` with red falling off to the right and blue falling off downwards."""
    import numpy as np
    from PIL import Image

    ramp = np.linspace(0.0, SHADE, IMAGE_SIZE, dtype=np.float32)
    arr = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), np.float32)
    arr[...] = np.array(background, np.float32)
    arr[:, :, 0] -= ramp[None, :]
    arr[:, :, 2] -= ramp[:, None]
    return Image.fromarray(np.rint(arr).astype(np.uint8), "RGB")


@cache
def tiled_background() -> Any:
    """One flat tint per grid cell: red darker by ``TILE_STEP`` per column, blue per row."""
    import numpy as np
    from PIL import Image

    cell = np.arange(IMAGE_SIZE) // CELL * TILE_STEP
    arr = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), np.int16)
    arr[...] = np.array(POSITION_BASE, np.int16)
    arr[:, :, 0] -= cell[None, :]
    arr[:, :, 2] -= cell[:, None]
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def render(objects: list[Obj], background: tuple[int, int, int]) -> ToyScene:
    """Render ``objects`` (sorted into reading order) and compute their exact boxes."""
    objects = sorted(objects, key=_cell_of)
    scene = Scene(IMAGE_SIZE, background, objects=objects)
    image, labels = render_scene(scene)
    if BACKGROUND_STYLE != "plain":
        from PIL import Image

        if BACKGROUND_STYLE == "tiles":
            backdrop = tiled_background()
        else:
            backdrop = shaded_background(POSITION_BASE if BACKGROUND_STYLE == "position" else background)
        image = Image.composite(image, backdrop, labels.point(lambda v: 255 if v else 0))
    boxes, _ = visible_boxes(labels, len(objects))
    return ToyScene(scene, [[int(v) for v in b] for b in boxes if b is not None], image)


# ---------------------------------------------------------------- referring expressions


def phrase(colour: str | None, shape: str | None, plural: bool = False) -> str:
    """ "red circle", "squares", "blue objects" ..."""
    noun = shape or "object"
    if plural:
        noun += "s"
    return f"{colour} {noun}" if colour else noun


def count_text(colour: str | None, shape: str | None) -> str:
    """The counting question's wording, shared by the demo's questions and pre-training."""
    return f"How many {phrase(colour, shape, plural=True)} are there?"


def spatial_text(a: Obj, relation: str, b: Obj) -> str:
    """The spatial question's wording about two uniquely named objects."""
    return f"Is the {phrase(a.colour, a.shape)} {relation} the {phrase(b.colour, b.shape)}?"


def unique_kinds(scene: ToyScene) -> list[int]:
    """Objects that a "the <colour> <shape>" phrase names unambiguously."""
    kinds = [(o.colour, o.shape) for o in scene.objects]
    return [i for i, k in enumerate(kinds) if kinds.count(k) == 1]


def relation_holds(relation: str, a: list[int], b: list[int]) -> bool | None:
    """Whether box ``a`` is ``relation`` box ``b``; None when the boxes share a row/column (ambiguous)."""
    if relation in ("left of", "right of"):
        if a[2] <= b[0]:
            left = True
        elif b[2] <= a[0]:
            left = False
        else:
            return None
        return left if relation == "left of" else not left
    if a[3] <= b[1]:
        above = True
    elif b[3] <= a[1]:
        above = False
    else:
        return None
    return above if relation == "above" else not above


# ---------------------------------------------------------------- GRIT-format questions


def count_question(rng: random.Random, target: int) -> tuple[ToyScene, dict[str, Any]]:
    """ "How many <category> are there?" with exactly ``target`` matching objects (0-4)."""
    kind = rng.choice(("shape", "colour", "both"))
    colour = rng.choice(TOY_COLOURS) if kind in ("colour", "both") else None
    shape = rng.choice(TOY_SHAPES) if kind in ("shape", "both") else None
    n_other = rng.randint(max(0, 1 - target), max(1, 6 - target))
    kinds = [(shape or rng.choice(TOY_SHAPES), colour or rng.choice(TOY_COLOURS)) for _ in range(target)]
    while len(kinds) < target + n_other:
        s, c = rng.choice(TOY_SHAPES), rng.choice(TOY_COLOURS)
        if not ((colour is None or c == colour) and (shape is None or s == shape)):
            kinds.append((s, c))
    scene = sample_scene(rng, len(kinds), kinds)
    about = scene.matching(colour, shape)
    assert len(about) == target
    question = count_text(colour, shape)
    return scene, {
        "question": question,
        "answer": str(target),
        "about": about,
        "question_type": "count",
        "colour": colour,
        "shape": shape,
    }


def spatial_question(
    rng: random.Random, answer: bool, relations: tuple[str, ...] = RELATIONS
) -> tuple[ToyScene, dict[str, Any]]:
    """ "Is the <A> <relation> the <B>?" about two uniquely named objects, never ambiguous."""
    for _ in range(1000):
        scene = sample_scene(rng, rng.randint(2, 5))
        named = unique_kinds(scene)
        if len(named) < 2:
            continue
        i, j = rng.sample(named, 2)
        relation = rng.choice(relations)
        holds = relation_holds(relation, scene.boxes[i], scene.boxes[j])
        if holds is None or holds != answer:
            continue
        question = spatial_text(scene.objects[i], relation, scene.objects[j])
        return scene, {
            "question": question,
            "answer": "yes" if answer else "no",
            "about": [i, j],
            "question_type": "yes_no",
        }
    raise RuntimeError("could not draw a spatial question")  # pragma: no cover - 1000 draws always suffice


def write_questions(
    out: str | Path,
    name: str,
    n_count: int,
    n_spatial: int,
    seed: int,
    overwrite: bool = False,
    background: str | None = None,
) -> Path:
    """Write ``OUT/NAME.jsonl`` + ``OUT/NAME/`` images: counting (answers 0-4, balanced) and spatial
    yes/no (balanced) questions, each with the ground-truth boxes of the objects it is about.
    ``background``: the scenes' background style (default: the current one)."""
    with using_background(background):
        return _write_questions(Path(out), name, n_count, n_spatial, seed, overwrite)


def _write_questions(out: Path, name: str, n_count: int, n_spatial: int, seed: int, overwrite: bool) -> Path:
    jsonl = out / f"{name}.jsonl"
    if jsonl.exists() and not overwrite:
        raise FileExistsError(f"{jsonl} exists; pass overwrite=True to replace it")
    image_dir = out / name
    image_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"grit-toy-questions:{seed}:{name}")
    plan = [("count", i % 5) for i in range(n_count)] + [("spatial", i % 2 == 0) for i in range(n_spatial)]
    rng.shuffle(plan)
    tmp = jsonl.with_name(jsonl.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for index, (family, target) in enumerate(plan):
            row_rng = random.Random(f"grit-toy-questions:{seed}:{name}:{index}")
            if family == "count":
                scene, q = count_question(row_rng, target)
            else:
                scene, q = spatial_question(row_rng, target)
            file_name = f"{index:05d}.png"
            scene.image.save(image_dir / file_name, format="PNG")
            row = {
                "id": f"{name}-{index:05d}",
                "question": q["question"],
                "answer": q["answer"],
                "image": file_name,
                "width": IMAGE_SIZE,
                "height": IMAGE_SIZE,
                "bboxs": [[float(v) for v in scene.boxes[i]] for i in q["about"]],
                "dataset": "toy_count" if family == "count" else "toy_spatial",
                "question_type": q["question_type"],
                "object_boxes": scene.boxes,
            }
            fh.write(json.dumps(row) + "\n")
    os.replace(tmp, jsonl)
    return jsonl
