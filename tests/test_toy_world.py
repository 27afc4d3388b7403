"""The demo's toy world: exact boxes, one object per cell, balanced questions, held-out compositions."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grit.data.synth import COLOURS
from grit.prompts import GRIT_SUFFIX
from grit.toy import pretrain, tasks, world


def _boxes_in(text):
    return [json.loads(b)["bbox_2d"] for b in re.findall(r'\{"bbox_2d": \[[^\]]*\]\}', text)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(0, 8))
def test_scene_boxes_are_exact_and_one_object_per_cell(seed, n):
    scene = world.sample_scene(random.Random(seed), n)
    assert len(scene.boxes) == len(scene.objects) == n
    cells = set()
    for obj, box in zip(scene.objects, scene.boxes, strict=True):
        x1, y1, x2, y2 = box
        assert 0 <= x1 < x2 <= world.IMAGE_SIZE and 0 <= y1 < y2 <= world.IMAGE_SIZE
        # the box lies inside the object's own 28-px cell (one visual token per object)
        assert x1 // world.CELL == (x2 - 1) // world.CELL and y1 // world.CELL == (y2 - 1) // world.CELL
        cells.add((x1 // world.CELL, y1 // world.CELL))
        # the box is tight: the object's colour inside its cell spans exactly the box
        cx, cy = x1 // world.CELL * world.CELL, y1 // world.CELL * world.CELL
        own = [
            (x, y)
            for x in range(cx, cx + world.CELL)
            for y in range(cy, cy + world.CELL)
            if scene.image.getpixel((x, y)) == COLOURS[obj.colour]
        ]
        xs, ys = [p[0] for p in own], [p[1] for p in own]
        assert [min(xs), min(ys), max(xs) + 1, max(ys) + 1] == box
    assert len(cells) == n
    # reading order: row by row
    keys = [(b[1] // world.CELL, b[0] // world.CELL) for b in scene.boxes]
    assert keys == sorted(keys)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), target=st.integers(0, 4))
def test_count_question_counts_what_it_says(seed, target):
    scene, q = world.count_question(random.Random(seed), target)
    assert q["answer"] == str(target) and len(q["about"]) == target
    words = q["question"].removeprefix("How many ").removesuffix(" are there?").split()
    colour = words[0] if words[0] in world.TOY_COLOURS else None
    shape = words[-1].removesuffix("s")
    shape = None if shape == "object" else shape
    assert len(scene.matching(colour, shape)) == target


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), answer=st.booleans())
def test_spatial_question_is_true_to_the_boxes(seed, answer):
    scene, q = world.spatial_question(random.Random(seed), answer)
    i, j = q["about"]
    relation = next(r for r in world.RELATIONS if f" {r} " in q["question"])
    assert world.relation_holds(relation, scene.boxes[i], scene.boxes[j]) is answer
    assert q["answer"] == ("yes" if answer else "no")


def test_write_questions_is_balanced_deterministic_and_refuses_to_overwrite(tmp_path):
    path = world.write_questions(tmp_path, "train", 10, 10, seed=3)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    counts = sorted(r["answer"] for r in rows if r["dataset"] == "toy_count")
    assert counts == sorted([str(i % 5) for i in range(10)])
    assert sorted(r["answer"] for r in rows if r["dataset"] == "toy_spatial") == ["no"] * 5 + ["yes"] * 5
    assert all((tmp_path / "train" / r["image"]).exists() for r in rows)
    assert all(len(r["bboxs"]) == int(r["answer"]) for r in rows if r["dataset"] == "toy_count")
    assert all(len(r["bboxs"]) == 2 for r in rows if r["dataset"] == "toy_spatial")
    again = world.write_questions(tmp_path / "again", "train", 10, 10, seed=3)
    assert again.read_text() == path.read_text()
    try:
        world.write_questions(tmp_path, "train", 10, 10, seed=3)
    except FileExistsError:
        pass
    else:  # pragma: no cover
        raise AssertionError("overwrote existing questions")


def _step_bodies(target: str) -> list[str]:
    """The contents of a composition's steps, ``<tag> body </tag>`` in order."""
    return [m.group(2).strip() for m in re.finditer(r"<(\w+)> (.*?) ?</\1>", target)]


def _is_answer(body: str, prompt: str) -> bool:
    """A count or a yes/no, unless the step was "write the word yes"."""
    return body.isdigit() or (body in ("yes", "no") and f"write the word {body}" not in prompt)


def test_pretraining_never_shows_the_grit_prompt_or_a_grounded_chain():
    rng = random.Random(0)
    for _ in range(3000):
        sample = tasks.sample_task(rng)
        text = sample.prompt + sample.target
        assert GRIT_SUFFIX.strip() not in text and "based on the thinking contents" not in text
        if sample.kind == "compose":
            # a step with boxes is never followed by a step that answers or counts
            saw_box = False
            for body in _step_bodies(sample.target):
                if saw_box:
                    assert not _is_answer(body, sample.prompt)
                saw_box = saw_box or "bbox_2d" in body


@pytest.mark.parametrize("kind", tasks.TASK_KINDS)
def test_no_task_kind_shows_the_grit_prompt(kind):
    """Every kind, including those in no default mixture: the GRIT prompt is what GRPO-GR teaches."""
    rng = random.Random(12)
    for _ in range(40):
        sample = tasks.sample_task(rng, {kind: 1.0}, min_objects=2)
        text = sample.prompt + sample.reply_context + sample.target
        text += "".join(user + reply for user, reply in sample.history)
        assert sample.kind == kind
        assert GRIT_SUFFIX.strip() not in text and "based on the thinking contents" not in text
        sample.image.close()


def test_copy_task_repeats_the_prompt_text_and_never_the_grit_composition():
    rng = random.Random(1)
    for _ in range(500):
        sample = tasks.sample_task(rng, {"copy": 1.0, "copy_tags": 1.0})
        assert sample.kind.startswith("copy") and sample.prompt.endswith(": " + sample.target)
        assert not ("<rethink>" in sample.target and "<answer>" in sample.target)
        assert "bbox_2d" not in sample.target


def test_box_reasoning_answers_follow_from_the_boxes_in_the_prompt():
    rng = random.Random(2)
    relations = 0
    for _ in range(400):
        sample = tasks.sample_task(rng, {"box_reasoning": 1.0})
        if "First," in sample.prompt:
            continue  # answered late, after other steps (test_late_answers_...)
        boxes = _boxes_in(sample.prompt)
        relation = next((r for r in world.RELATIONS if f" {r} " in sample.prompt), None)
        if relation is None:
            assert sample.target == str(len(boxes))
        else:
            relations += 1
            assert sample.target == ("yes" if world.relation_holds(relation, *boxes) else "no")
    assert relations > 100


def test_box_relation_answers_follow_from_the_named_boxes_and_are_balanced():
    rng = random.Random(5)
    answers = []
    for _ in range(400):
        sample = tasks.sample_task(rng, {"box_relation": 1.0})
        if "First," in sample.prompt:
            continue  # answered late, after other steps (test_late_answers_...)
        boxes = _boxes_in(sample.prompt)
        relation = next(r for r in world.RELATIONS if f" {r} " in sample.prompt)
        # two named boxes, or one list of the two (given once or twice, inside tags)
        assert len(boxes) in (2, 4) and boxes[2:] in ([], boxes[:2]) and "?" in sample.prompt
        boxes = boxes[:2]
        assert sample.target == ("yes" if world.relation_holds(relation, *boxes) else "no")
        answers.append(sample.target)
    assert 0.4 < answers.count("yes") / len(answers) < 0.6


def test_late_answers_follow_steps_whose_boxes_the_answer_does_not_use():
    rng = random.Random(6)
    late, with_boxes = 0, 0
    for _ in range(600):
        sample = tasks.sample_task(rng, {"box_relation": 1.0, "box_reasoning": 1.0})
        if "First," not in sample.prompt:
            continue
        late += 1
        question, _ = sample.prompt.split("First,")
        given = _boxes_in(question)
        steps = re.findall(r"<(\w+)> (.*?) </\1>", sample.target)
        assert 2 <= len(steps) <= 3
        *before, (_, answer) = steps
        relation = next((r for r in world.RELATIONS if f" {r} " in question), None)
        if relation is None:
            assert answer == str(len(given))
        else:
            assert answer == ("yes" if world.relation_holds(relation, *given) else "no")
        written = [box for _, content in before for box in _boxes_in(content)]
        assert not any(box in given for box in written)  # boxes before the answer are never its own
        with_boxes += any("bbox_2d" in content for _, content in before)
        sample.image.close()
    assert late > 60 and with_boxes > 15


@pytest.mark.parametrize("kind", ["dialogue", "dialogue_tagged"])
def test_dialogues_ask_about_what_an_earlier_turn_located(kind):
    rng = random.Random(9)
    forms = set()
    for _ in range(200):
        sample = tasks.sample_task(rng, {kind: 1.0}, relations={"above": 1.0})
        located = [box for _, reply in sample.history for box in _boxes_in(reply)]
        assert sample.kind == kind and "bbox_2d" not in sample.prompt
        answer = sample.target.split()[-2] if "First," in sample.prompt else sample.target
        if " above " in sample.prompt:
            assert len(located) == 2 and answer == (
                "yes" if world.relation_holds("above", *located) else "no"
            )
        else:
            assert "How many" in sample.prompt and answer == str(len(located))
        tagged = sample.history[0][1].startswith("<")
        for user, reply in sample.history:
            if tagged:  # the boxes stand inside the tag the user named, as a chain step's do
                tag = reply.split()[0][1:-1]
                assert f"<{tag}>" in user and reply.endswith(f"</{tag}>")
        forms.add((len(sample.history), "First," in sample.prompt, tagged))
        sample.image.close()
    tags = (False, True) if kind == "dialogue_tagged" else (False,)
    assert forms == {(n, late, tagged) for n in (1, 2) for late in (False, True) for tagged in tags}


@pytest.mark.parametrize("kind", ["sketch", "sketch_revisit", "sketch_revisit_labelled"])
def test_sketches_answer_from_their_own_boxes_where_the_picture_shows_nothing(kind):
    import numpy as np

    rng = random.Random(11)
    spatial = counts = shown = middle = revisits = 0
    answers: dict[str, int] = {}
    for _ in range(400):
        sample = tasks.sample_task(rng, {kind: 1.0})
        assert sample.kind == kind and GRIT_SUFFIX.strip() not in sample.prompt + sample.target
        steps = re.findall(r"<(\w+)> (.*?) </\1>", sample.reply_context)
        answer_step = re.fullmatch(r" <(\w+)> (\w+) </\1>", sample.target)
        assert answer_step and all(f"<{tag}>" in sample.prompt for tag, _ in steps)
        labelled = _labelled_in(steps[0][1])
        boxes = [box for _, box in labelled] or _boxes_in(steps[0][1])
        answer = answer_step.group(2)
        middle += len(steps) == 2
        revisits += len(steps) == 2 and "bbox_2d" in steps[1][1]  # a box written again after the list
        pixels = np.asarray(sample.image)
        colours, freq = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
        background = colours[freq.argmax()]
        shown += len(colours) > 1
        for x1, y1, x2, y2 in boxes:  # nothing is drawn where a sketched box lies
            assert (pixels[y1 : y2 + 1, x1 : x2 + 1] == background).all()
        relation = next((r for r in world.RELATIONS if f" {r} " in sample.prompt), None)
        if relation is None:
            counts += 1
            assert answer == str(len(boxes)) and len(boxes) <= 4
        else:
            spatial += 1
            assert len(boxes) == 2 and answer == ("yes" if world.relation_holds(relation, *boxes) else "no")
            if kind.endswith("_labelled"):  # the pair after its names, in the question's order
                question = sample.prompt.split("Question: ", 1)[1].split("?", 1)[0]
                assert [label for label, _ in labelled] == re.findall(r"the ([a-z]+ [a-z]+)", question)
        assert kind.endswith("_labelled") == bool(labelled) or relation is None
        assert not labelled or relation is not None  # counting lists stay plain
        answers[answer] = answers.get(answer, 0) + 1
    assert spatial > 100 and counts > 100 and shown > 100
    if kind == "sketch":
        assert 80 < middle < 240 and revisits < 60
    else:  # the answer must read the list, whatever boxes follow it
        assert middle == 400 and revisits > 200
    assert abs(answers["yes"] - answers["no"]) < 0.3 * spatial
    assert {"0", "1", "2", "3", "4"} <= set(answers)


def test_relation_curriculum_starts_with_left_of_and_ramps_in_one_word_per_quarter():
    assert tasks.relations_at(0, 1000) == tasks.relations_at(249, 1000) == {"left of": 1.0}
    assert tasks.relations_at(375, 1000) == {"left of": 1.0, "right of": 0.5}
    assert tasks.relations_at(600, 1000) == {"left of": 1.0, "right of": 1.0, "above": 0.4}
    assert tasks.relations_at(1000, 1000) == tasks.relations_at(0, 0) == tasks.ALL_RELATIONS
    # a base that reads left/right brings in only the vertical words, the others at full share
    vertical = ("above", "below")
    assert tasks.relations_at(0, 1000, vertical) == {"left of": 1.0, "right of": 1.0, "above": 1.0}
    assert tasks.relations_at(750, 1000, vertical) == {
        "left of": 1.0,
        "right of": 1.0,
        "above": 1.0,
        "below": 0.5,
    }
    assert tasks.relations_at(1000, 1000, vertical) == tasks.ALL_RELATIONS
    rng = random.Random(8)
    kinds = {"box_relation": 1.0, "box_reasoning": 1.0, "spatial": 1.0, "spatial_balanced": 1.0}
    seen, words, answers = set(), [], []
    for _ in range(400):
        sample = tasks.sample_task(rng, kinds, relations={"left of": 1.0, "above": 0.25})
        if sample.target not in ("yes", "no"):
            continue  # box_reasoning's list counting
        (word,) = {r for r in world.RELATIONS if f" {r} " in sample.prompt}
        seen.add(sample.kind)
        words.append(word)
        answers.append(sample.target)
    assert seen == set(kinds) and set(words) == {"left of", "above"}
    assert 0.1 < words.count("above") / len(words) < 0.3  # the weights are followed
    assert 0.35 < answers.count("yes") / len(answers) < 0.65


def _colours_in(image, box):
    x1, y1, x2, y2 = box
    pixels = {image.getpixel((x, y)) for x in range(x1, x2) for y in range(y1, y2)}
    return {name for name, rgb in COLOURS.items() if rgb in pixels}


def test_attribute_at_names_what_is_drawn_in_the_given_box():
    rng = random.Random(7)
    kinds = set()
    for _ in range(300):
        sample = tasks.sample_task(rng, {"attribute_at": 1.0})
        (box,) = _boxes_in(sample.prompt)
        words = sample.target.split()
        colour = next((w for w in words if w in world.TOY_COLOURS), None)
        if colour:
            assert _colours_in(sample.image, box) == {colour}
        assert colour or words[-1] in world.TOY_SHAPES
        kinds.add(
            "colour" if "colour" in sample.prompt.lower() else "shape" if "hape" in sample.prompt else "both"
        )
    assert kinds == {"colour", "shape", "both"}


def test_locate_attribute_boxes_the_only_object_of_that_colour_or_shape():
    rng = random.Random(8)
    for _ in range(300):
        sample = tasks.sample_task(rng, {"locate_attribute": 1.0})
        (box,) = _boxes_in(sample.target)
        named = re.search(r"the (\w+)(?: object)?[ .?]", sample.prompt).group(1)
        assert named in world.TOY_COLOURS + world.TOY_SHAPES
        if named in world.TOY_COLOURS:
            assert _colours_in(sample.image, box) == {named}
            everywhere = [
                (x, y) for x in range(world.IMAGE_SIZE) for y in range(world.IMAGE_SIZE)
                if sample.image.getpixel((x, y)) == COLOURS[named]
            ]  # fmt: skip
            assert all(box[0] <= x < box[2] and box[1] <= y < box[3] for x, y in everywhere)


def test_locate_all_balanced_boxes_every_object_of_the_category_zero_to_four_equally():
    rng = random.Random(11)
    counts = Counter()
    for _ in range(500):
        sample = tasks.sample_task(rng, {"locate_all_balanced": 1.0})
        assert "?" not in sample.prompt and sample.kind == "locate_all_balanced"
        boxes = _boxes_in(sample.target)
        counts[len(boxes)] += 1
        _assert_boxes_of_the_named_colour_in_reading_order(sample, boxes)
    assert set(counts) == {0, 1, 2, 3, 4}
    assert all(60 <= n <= 140 for n in counts.values()), counts


def _assert_boxes_of_the_named_colour_in_reading_order(sample, boxes):
    colour = next((c for c in world.TOY_COLOURS if f" {c} " in f" {sample.prompt} "), None)
    for box in boxes:
        assert colour is None or _colours_in(sample.image, box) == {colour}
    # reading order: grid rows top to bottom, left to right within a row
    places = [((b[1] + b[3]) / 2 // world.CELL, b[0]) for b in boxes]
    assert places == sorted(places)


def test_counted_lists_say_the_number_first_then_give_that_many_boxes_of_the_category():
    rng = random.Random(21)
    counts = Counter()
    for _ in range(400):
        sample = tasks.sample_task(rng, {"locate_all_counted": 1.0})
        assert "?" not in sample.prompt and sample.kind == "locate_all_counted"
        head, boxes_text = sample.target.split(": ", 1)
        n = int(head.split()[2])
        boxes = _boxes_in(boxes_text)
        assert head.startswith("There is 1 " if n == 1 else "There are ") and len(boxes) == n
        counts[n] += 1
        _assert_boxes_of_the_named_colour_in_reading_order(sample, boxes)
    assert set(counts) == {0, 1, 2, 3, 4}


def test_counted_grounding_states_the_count_before_its_boxes_and_nothing_answers_after_them():
    rng = random.Random(22)
    counts = Counter()
    for _ in range(300):
        sample = tasks.sample_task(rng, {"compose_grounding_counted": 1.0})
        question = sample.prompt.split("\nQuestion: ", 1)[1].split("?", 1)[0] + "?"
        assert question.startswith("How many") and sample.kind == "compose_grounding_counted"
        bodies = _step_bodies(sample.target)
        (grounding,) = [b for b in bodies if b.startswith("There ")]
        head, boxes_text = grounding.split(": ", 1)
        boxes = _boxes_in(boxes_text)
        assert int(head.split()[2]) == len(boxes)
        counts[len(boxes)] += 1
        # the category is the question's: "How many red squares" -> "... red squares:"
        noun = question.removeprefix("How many ").removesuffix(" are there?")
        assert head.endswith(noun if len(boxes) != 1 else noun[:-1])
        _assert_boxes_of_the_named_colour_in_reading_order(sample, boxes)
        for body in bodies:
            assert not _is_answer(body, sample.prompt)
    assert set(counts) == {0, 1, 2, 3, 4}
    assert all(30 <= n <= 90 for n in counts.values()), counts


def test_scene_curriculum_holds_back_the_counting_scene_tasks_until_scenes_may_hold_three():
    rng = random.Random(12)
    weights = {kind: 1.0 for kind in (*tasks.COUNTING_SCENE_TASKS, "count_balanced", "locate")}
    early = {tasks.sample_task(rng, weights, max_objects=2).kind for _ in range(60)}
    assert early == {"locate"}
    later = {tasks.sample_task(rng, weights, max_objects=3).kind for _ in range(60)}
    assert later == set(weights)


def test_locate_by_colour_names_one_of_same_shape_objects_by_its_colour():
    rng = random.Random(18)
    named_forms = set()
    for _ in range(200):
        sample = tasks.sample_task(rng, {"locate_by_colour": 1.0})
        (box,) = _boxes_in(sample.target)
        colour, second = re.search(r"the (\w+) (\w+)[ .?]", sample.prompt).groups()
        assert colour in world.TOY_COLOURS and second in (*world.TOY_SHAPES, "object")
        named_forms.add("colour only" if second == "object" else "colour and shape")
        assert _colours_in(sample.image, box) == {colour}
        # one or two more objects, each of another colour (all of one shape: the colour is the only cue)
        assert 1 <= len(_colours_in(sample.image, [0, 0, world.IMAGE_SIZE, world.IMAGE_SIZE]) - {colour}) <= 2
    assert named_forms == {"colour only", "colour and shape"}


def test_named_word_answers_the_first_colour_or_shape_the_request_names():
    rng = random.Random(19)
    asked = set()
    for _ in range(300):
        sample = tasks.sample_task(rng, {"named_word": 1.0})
        word = re.search(r"Which (colour|shape) does th", sample.prompt).group(1)
        request = re.sub(r"\n?Which (colour|shape) does th\w+ request name first\?\s*", "", sample.prompt)
        vocabulary = world.TOY_COLOURS if word == "colour" else world.TOY_SHAPES
        first = next(w for w in re.findall(r"[a-z]+", request) if w.rstrip("s") in vocabulary)
        assert sample.target == first.rstrip("s")
        asked.add(word)
    assert asked == {"colour", "shape"}


def test_where_names_the_grid_column_or_row_that_holds_the_named_object():
    rng = random.Random(9)
    axes = set()
    for _ in range(300):
        sample = tasks.sample_task(rng, {"where": 1.0})
        colour, shape = re.search(r"the (\w+) (\w+)[ ,?]", sample.prompt).groups()
        assert colour in world.TOY_COLOURS and shape in world.TOY_SHAPES
        k = int(sample.target) - 1
        assert 0 <= k < world.GRID
        axis = "column" if "column" in sample.prompt else "row"
        axes.add(axis)
        band = range(k * world.CELL, (k + 1) * world.CELL)
        pixels = [(x, y) for x in band for y in range(world.IMAGE_SIZE)]
        if axis == "row":
            pixels = [(y, x) for x, y in pixels]
        assert any(sample.image.getpixel(xy) == COLOURS[colour] for xy in pixels)
    assert axes == {"column", "row"}


def test_min_objects_keeps_every_scene_at_least_that_full_while_the_curriculum_grows():
    rng = random.Random(4)
    described = [
        tasks.sample_task(rng, {"describe": 1.0}, max_objects=3, min_objects=2).target for _ in range(60)
    ]
    sizes = {text.count(", ") + text.count(" and ") + 1 for text in described}
    assert sizes == {2, 3}
    assert [pretrain.max_objects_at(step, 1000, 2) for step in (0, 249, 250, 999, 1000, 5000)] == [
        2,
        2,
        3,
        5,
        6,
        6,
    ]
    assert [pretrain.max_objects_at(step, 1000) for step in (0, 200, 1000)] == [1, 2, 6]


def test_compose_grounding_boxes_the_questions_objects_and_never_answers():
    rng = random.Random(3)
    for _ in range(300):
        sample = tasks.sample_task(rng, {"compose_grounding": 1.0})
        question = sample.prompt.split("\nQuestion: ", 1)[1].split("?", 1)[0] + "?"
        assert (
            GRIT_SUFFIX.strip() not in sample.prompt and "based on the thinking contents" not in sample.prompt
        )
        bodies = _step_bodies(sample.target)
        box_bodies = [b for b in bodies if b.startswith("[")]
        assert len(box_bodies) == 1
        for body in bodies:  # no step answers or counts
            assert not _is_answer(body, sample.prompt)
        boxes = _boxes_in(box_bodies[0])
        if question.startswith("Is the"):
            assert len(boxes) == 2 and boxes[0] != boxes[1]
        else:
            assert len(boxes) <= 6


def test_allowed_plan_holds_out_locate_then_answer():
    assert tasks.allowed_plan(["answer", "locate"])
    assert tasks.allowed_plan(["describe", "count", "locate"])
    assert not tasks.allowed_plan(["locate", "answer"])
    assert not tasks.allowed_plan(["grounded_describe", "describe", "count"])


def _background_pixels(scene: world.ToyScene) -> dict[tuple[int, int], tuple[int, int, int]]:
    inside = {(x, y) for b in scene.boxes for x in range(b[0], b[2]) for y in range(b[1], b[3])}
    size = world.IMAGE_SIZE
    return {
        (x, y): scene.image.getpixel((x, y)) for x in range(size) for y in range(size) if (x, y) not in inside
    }


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(0, 6),
    style=st.sampled_from(["coordinate", "position", "tiles"]),
)
def test_shaded_backgrounds_encode_position_and_leave_boxes_alone(seed, n, style):
    previous = world.BACKGROUND_STYLE
    try:
        world.set_background_style(style)
        shaded = world.sample_scene(random.Random(seed), n)
        world.set_background_style("plain")
        plain = world.sample_scene(random.Random(seed), n)
    finally:
        world.set_background_style(previous)
    assert shaded.boxes == plain.boxes and shaded.objects == plain.objects
    flat = set(_background_pixels(plain).values())
    assert len(flat) == 1  # the plain background is one colour
    scene_colour, last = flat.pop(), world.IMAGE_SIZE - 1
    # "position" and "tiles" shade one fixed colour, so a pixel's colour alone says where it is
    r0, g0, b0 = world.POSITION_BASE if style in ("position", "tiles") else scene_colour
    for (x, y), (r, g, b) in _background_pixels(shaded).items():
        if style == "tiles":  # one tint per cell: the cell is in the pixels
            assert (r, g, b) == (
                r0 - world.TILE_STEP * (x // world.CELL),
                g0,
                b0 - world.TILE_STEP * (y // world.CELL),
            )
            continue
        # red falls off to the right, blue downwards, green untouched: position is in the pixels
        assert abs(r - (r0 - world.SHADE * x / last)) <= 0.5 + 1e-9
        assert abs(b - (b0 - world.SHADE * y / last)) <= 0.5 + 1e-9
        assert g == g0


def test_background_style_is_checked():
    import pytest

    with pytest.raises(ValueError, match="background style"):
        world.set_background_style("stripes")


def test_pretrain_mixture_option_is_parsed_and_checked():
    import argparse

    import pytest

    from grit.commands.toy import parse_mixture

    assert parse_mixture("locate=0.2, compose=0.3") == {"locate": 0.2, "compose": 0.3}
    for bad in ("locate", "seeing=1", "locate=x", "locate=-1", "locate=0"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_mixture(bad)


def _corner_colours(image_path) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    from PIL import Image

    image = Image.open(image_path).convert("RGB")
    return image.getpixel((0, 0)), image.getpixel((world.IMAGE_SIZE - 1, world.IMAGE_SIZE - 1))


def test_a_model_is_given_data_in_the_world_it_was_trained_in(tmp_path):
    import pytest

    from grit.cli import main
    from grit.toy.demo import DemoConfig, write_data

    model = tmp_path / "model"
    model.mkdir()
    assert world.trained_background(model) == "plain"  # no pretrain_config.json: the default world
    (model / "pretrain_config.json").write_text(json.dumps({"config": {"background": "position"}}))
    assert world.trained_background(model) == "position"
    _, eval_data = write_data(DemoConfig(n_train=2, n_eval=2), tmp_path / "demo", str(model))
    top_left, bottom_right = _corner_colours(eval_data.with_suffix("") / "00000.png")
    assert top_left == world.POSITION_BASE  # shaded: the far corner is darker in red and blue
    assert bottom_right[0] < top_left[0] - 70 and bottom_right[2] < top_left[2] - 70
    assert world.BACKGROUND_STYLE == "plain"  # the world's style is restored afterwards

    assert main(["toy", "data", "--out", str(tmp_path / "cli"), "--count", "1", "--spatial", "1"]) == 0
    top_left, bottom_right = _corner_colours(tmp_path / "cli" / "toy" / "00000.png")
    assert top_left == bottom_right  # plain unless asked

    (model / "pretrain_config.json").write_text(json.dumps({"config": {"background": "stripes"}}))
    with pytest.raises(ValueError, match=r"pretrain_config.json: config.background"):
        world.trained_background(model)


def test_named_object_probes_report_what_answering_for_any_object_would_score(monkeypatch):
    # with 2-4 objects, answering for an object picked at random is right about half the time (two
    # objects often share a row or a colour), far above the uniform chance; the probes say so
    from grit.toy import probe

    monkeypatch.setattr(
        probe, "generate", lambda model, processor, prompts, images, **kw: ["1"] * len(prompts)
    )
    where = probe.probe_where_questions(None, None, 200, seed=0)
    attributes = probe.probe_attribute_questions(None, None, 200, seed=0)
    for result, fields in ((where, ("column", "row")), (attributes, ("colour", "shape"))):
        for field in fields:
            assert result[f"{field}_one_object_any_object"] == 1.0
            assert 0.35 < result[f"{field}_two_to_four_objects_any_object"] < 0.7
    # "1" is the first column or row a quarter of the time, and never a colour or a shape
    assert 0.1 < where["column_two_to_four_objects"] < 0.4 and attributes["colour_one_object"] == 0.0
    # two objects in different columns: "1" is the named one's as often as the other's
    two = probe.probe_named_or_other(None, None, 200, seed=0)
    assert two["colour_named"] == two["colour_other"] == 0.0
    assert 0.15 < two["column_named"] < 0.35 and 0.15 < two["column_other"] < 0.35


def test_box_by_one_word_tells_the_named_object_from_the_other(monkeypatch):
    # a model that boxes the named object is scored named, one that boxes a fixed object is
    # scored named and other about equally: the row separates binding from boxing *an* object
    from grit.toy import probe

    def boxes_of(pick):
        def fake_generate(model, processor, prompts, images, **kw):
            replies = []
            for prompt, image in zip(prompts, images, strict=True):
                scene = scenes[id(image)]
                replies.append(tasks.box_json(scene.boxes[pick(prompt, scene)]))
            return replies

        return fake_generate

    scenes: dict[int, world.ToyScene] = {}
    real_pair = probe._unlike_pair

    def remembering_pair(rng):
        scene = real_pair(rng)
        scenes[id(scene.image)] = scene
        return scene

    monkeypatch.setattr(probe, "_unlike_pair", remembering_pair)

    def named(prompt, scene):
        return next(
            k
            for k, o in enumerate(scene.objects)
            if f" {o.colour} object" in prompt or f" {o.shape} " in prompt
        )

    monkeypatch.setattr(probe, "generate", boxes_of(named))
    right = probe.probe_box_by_one_word(None, None, 100, seed=0)
    assert right["by_colour_named_boxed"] == right["by_shape_named_boxed"] == 1.0
    assert right["by_colour_other_boxed"] == right["by_shape_other_boxed"] == 0.0
    monkeypatch.setattr(probe, "generate", boxes_of(lambda prompt, scene: 0))
    fixed = probe.probe_box_by_one_word(None, None, 100, seed=0)
    assert 0.35 < fixed["by_colour_named_boxed"] < 0.65 and 0.35 < fixed["by_shape_other_boxed"] < 0.65
    assert fixed["by_colour_named_boxed"] + fixed["by_colour_other_boxed"] == 1.0


def test_own_chain_probe_tells_reading_the_chain_from_a_constant_answer(monkeypatch):
    # a model that compares the two boxes forced into its chain is right and flips with them; one
    # that always says "yes" is at chance and never flips; counting reads the forced list's length
    from grit.toy import probe

    def reads_the_chain(model, processor, prompts, images, replies, options, **kw):
        rows = []
        for prompt, reply in zip(prompts, replies, strict=True):
            think = reply.split("</think>")[0]
            boxes = [[int(v) for v in m] for m in re.findall(r"\[(\d+), (\d+), (\d+), (\d+)\]", think)]
            if options[0] == " yes":
                relation = next(r for r in world.RELATIONS if f" {r} " in prompt)
                holds = world.relation_holds(relation, boxes[0], boxes[1])
                rows.append([1.0, 0.0] if holds else [0.0, 1.0])
            else:
                rows.append([1.0 if k == len(boxes) else 0.0 for k in range(5)])
        return rows

    monkeypatch.setattr(probe, "option_logprobs", reads_the_chain)
    reading = probe.probe_own_chain(None, None, 60, seed=0)
    assert reading["spatial_accuracy"] == reading["spatial_flips_with_swapped_boxes"] == 1.0
    assert reading["count_accuracy"] == 1.0 and reading["spatial_yes_rate"] == 0.5

    constant = lambda model, processor, prompts, images, replies, options, **kw: [  # noqa: E731
        [1.0] + [0.0] * (len(options) - 1) for _ in prompts
    ]
    monkeypatch.setattr(probe, "option_logprobs", constant)
    fixed = probe.probe_own_chain(None, None, 60, seed=0)
    assert fixed["spatial_accuracy"] == 0.5 and fixed["spatial_flips_with_swapped_boxes"] == 0.0
    assert fixed["spatial_yes_rate"] == 1.0 and fixed["count_accuracy"] == 0.2

    def reads_the_last_two_boxes(model, processor, prompts, images, replies, options, **kw):
        # the fifteenth session's failure: the list's second box, then <rethink>'s, compared
        rows = []
        for prompt, reply in zip(prompts, replies, strict=True):
            boxes = [[int(v) for v in m] for m in re.findall(r"\[(\d+), (\d+), (\d+), (\d+)\]", reply)]
            if options[0] != " yes":
                rows.append([1.0] + [0.0] * 4)
                continue
            relation = next(r for r in world.RELATIONS if f" {r} " in prompt)
            holds = world.relation_holds(relation, boxes[-2], boxes[-1])
            rows.append([1.0, 0.0] if holds else [0.0, 1.0])
        return rows

    monkeypatch.setattr(probe, "option_logprobs", reads_the_last_two_boxes)
    wrong = probe.probe_own_chain(None, None, 60, seed=0)
    assert wrong["spatial_flips_with_swapped_boxes"] == 1.0 and wrong["spatial_accuracy"] == 0.0
    assert all(wrong[f"spatial_accuracy_{r.replace(' ', '_')}"] == 0.0 for r in world.RELATIONS)
    assert all(reading[f"spatial_accuracy_{r.replace(' ', '_')}"] == 1.0 for r in world.RELATIONS)


def test_option_logprobs_match_a_full_forward_of_each_padded_sequence():
    # logits kept only at the end, on left-padded batches, must score an option exactly as a
    # forward of that one unpadded sequence does
    import torch

    from grit.toy import probe
    from grit.toy.shipped import base_model_path

    model, processor = probe.load(str(base_model_path()), "cpu")
    rng = random.Random(3)
    scenes = [world.sample_scene(rng, 2), world.sample_scene(rng, 3)]
    prompts = ["How many circles are there?", "Is the red square left of the blue circle? Answer briefly."]
    replies = ["<think> [] </think> <answer>", "<answer>"]
    options = (" 3", " yes")
    batched = probe.option_logprobs(model, processor, prompts, [s.image for s in scenes], replies, options)
    for row, prompt, scene, reply in zip(batched, prompts, scenes, replies, strict=True):
        for score, option in zip(row, options, strict=True):
            text = probe._one_image_turn(processor, prompt) + reply + option
            inputs = processor(text=[text], images=[scene.image], return_tensors="pt")
            size = len(processor.tokenizer.encode(option, add_special_tokens=False))
            with torch.inference_mode():
                logp = model(**inputs).logits.float().log_softmax(-1)[0]
            ids = inputs["input_ids"][0]
            positions = range(len(ids) - size, len(ids))
            expected = sum(logp[p - 1, ids[p]].item() for p in positions)
            assert score == pytest.approx(expected, abs=1e-3)
    # an option that would merge with the end of the reply cannot be scored as a continuation
    with pytest.raises(ValueError, match="tokenised differently"):
        probe.option_logprobs(model, processor, prompts[:1], [scenes[0].image], ["<answer> y"], ["es"])


def _labelled_in(text):
    return [
        (m.group(1), json.loads(m.group(2)))
        for m in re.finditer(r'\{"label": "([a-z ]+)", "bbox_2d": (\[[^\]]*\])\}', text)
    ]


def _assert_each_box_holds_its_label(sample, labelled):
    for label, box in labelled:
        colour, shape = label.split()
        assert _colours_in(sample.image, box) == {colour}
        assert shape in world.TOY_SHAPES


def test_labelled_locating_names_each_object_before_its_box_in_the_order_asked():
    rng = random.Random(23)
    seen = Counter()
    for _ in range(300):
        sample = tasks.sample_task(rng, {"locate_labelled": 1.0}, min_objects=2)
        labelled = _labelled_in(sample.target)
        named = re.findall(r"the ([a-z]+ [a-z]+)(?:,| and| in|\.|$)", sample.prompt)
        assert [label for label, _ in labelled] == named[: len(labelled)] and len(labelled) in (2, 3)
        assert sample.target.count("bbox_2d") == len(labelled) and "?" not in sample.prompt
        _assert_each_box_holds_its_label(sample, labelled)
        seen[len(labelled)] += 1
    assert set(seen) == {2, 3}


@pytest.mark.parametrize("kind", ["compose_grounding_labelled", "compose_grounding_labelled_pairs"])
def test_labelled_grounding_names_the_question_objects_in_its_order_and_answers_nothing(kind):
    """``compose_grounding_labelled`` labels every list; ``_pairs`` only the spatial questions' pairs."""
    rng = random.Random(24)
    kinds = Counter()
    for _ in range(300):
        sample = tasks.sample_task(rng, {kind: 1.0}, min_objects=2)
        question = sample.prompt.split("\nQuestion: ", 1)[1].split("?", 1)[0] + "?"
        bodies = _step_bodies(sample.target)
        (grounding,) = [b for b in bodies if b.startswith("[")]
        labelled = _labelled_in(grounding)
        _assert_each_box_holds_its_label(sample, labelled)
        if question.startswith("Is the "):  # spatial: the two named objects, in the question's order
            kinds["spatial"] += 1
            named = re.findall(r"the ([a-z]+ [a-z]+)", question)
            assert [label for label, _ in labelled] == named
        else:
            kinds["count"] += 1
            labels_all = kind == "compose_grounding_labelled"
            assert len(labelled) == (grounding.count("bbox_2d") if labels_all else 0)
        for body in bodies:
            assert not _is_answer(body, sample.prompt)
    assert kinds["spatial"] > 50 and kinds["count"] > 50


def test_sketch_revisit_labelled_draws_what_sketch_revisit_draws():
    plain, labelled = random.Random(5), random.Random(5)
    seen = 0
    for _ in range(100):
        a = tasks.sample_task(plain, {"sketch_revisit": 1.0})
        b = tasks.sample_task(labelled, {"sketch_revisit_labelled": 1.0})
        assert (a.prompt, a.target) == (b.prompt, b.target)
        # the same reply, its spatial boxes named
        assert re.sub(r'"label": "[a-z ]+", ', "", b.reply_context) == a.reply_context
        seen += "label" in b.reply_context
    assert seen > 20


def test_spatial_labelled_grounding_labels_only_spatial_questions_two_objects():
    rng = random.Random(25)
    for _ in range(200):
        sample = tasks.sample_task(rng, {"compose_grounding_labelled_spatial": 1.0}, min_objects=2)
        assert sample.kind == "compose_grounding_labelled_spatial"
        question = sample.prompt.split("\nQuestion: ", 1)[1].split("?", 1)[0] + "?"
        assert question.startswith("Is the ")
        (grounding,) = [b for b in _step_bodies(sample.target) if b.startswith("[")]
        labelled = _labelled_in(grounding)
        assert [label for label, _ in labelled] == re.findall(r"the ([a-z]+ [a-z]+)", question)
        _assert_each_box_holds_its_label(sample, labelled)
