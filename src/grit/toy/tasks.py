"""Pre-training tasks for the toy base model: the *separate* skills a pre-trained VLM has.

The base learns to see (localise, count, compare positions, name colours and shapes), to answer
questions directly, and to follow multi-step output-format instructions over arbitrary tag names.
What it must *not* see (issue 8) is what GRPO-GR has to teach:

- the GRIT prompt (its wording never appears);
- grounded reasoning for a question: a reply's boxes are never used on the way to its answer.
  In a composition, a step that outputs boxes is never followed by a step that answers or counts
  (``answer-then-locate`` is allowed, ``locate-then-answer`` is held out); only ``answer_late``
  lets an answer follow boxes, of a category the question does not mention. ``sketch`` answers
  from boxes at the start of its reply, but the sketched objects are not in the picture (the
  boxes point at nothing) and are given as untrained context: reading one's own text, not grounding.

Tag names, ``think`` and ``rethink`` among them, are drawn from a wide pool: a real pre-trained
VLM has met such tags, and a first base that never saw these two could not copy them from the
GRIT prompt at all (zero-shot chain rate 0.000 greedy and sampled), which leaves GRPO nothing
to reinforce.

So a GRIT chain is reachable only by composing skills in an order the base never practised, which
keeps its zero-shot chain rate low but not zero, as for a real pre-trained VLM.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from grit.prompts import DIRECT_SUFFIX
from grit.toy import world
from grit.toy.world import TOY_COLOURS, TOY_SHAPES, ToyScene, count_text, phrase

# Tag names the base practises with (any of them in any step; the composition is what is held out).
TAG_NAMES = (
    "a", "b", "c", "x", "think", "rethink", "step", "look", "scan", "plan", "note", "box", "boxes", "list", "sum",
    "final", "out", "result", "find", "check", "see", "count", "answer", "reply", "info", "obs",
    "loc", "pos", "draft", "reason", "idea", "work", "ans", "output", "part", "focus", "view",
)  # fmt: skip
# Every relation word at an equal share (see relations_at for a curriculum).
ALL_RELATIONS = {relation: 1.0 for relation in world.RELATIONS}
ANSWERING_SKILLS = ("answer", "count")
TASK_KINDS = (
    "locate", "locate_all", "count", "count_balanced", "spatial", "spatial_balanced", "attribute",
    "describe", "compose", "compose_grounding", "copy", "copy_tags", "box_reasoning", "box_relation",
    "attribute_at", "locate_attribute", "where", "locate_by_colour", "named_word", "dialogue", "dialogue_tagged",
    "locate_all_balanced", "sketch", "sketch_revisit", "locate_all_counted", "compose_grounding_counted",
    "compose_grounding_labelled", "locate_labelled", "compose_grounding_labelled_spatial",
    "compose_grounding_labelled_pairs", "sketch_revisit_labelled",
)  # fmt: skip

WHERE_COLUMN = "In which column, counting from 1 at the left, is the {p}?"
WHERE_ROW = "In which row, counting from 1 at the top, is the {p}?"


@dataclass
class Sample:
    """One teacher-forced example: the image, the user's text and the assistant's reply."""

    image: Any
    prompt: str
    target: str
    kind: str
    # Earlier (user, assistant) turns of a dialogue, given as context (never trained on); the
    # image goes with the first user turn.
    history: tuple[tuple[str, str], ...] = ()
    # The start of the reply, given as context and never trained on: ``target`` continues it.
    reply_context: str = ""


def box_json(box: list[int], label: str | None = None) -> str:
    """``{"bbox_2d": [...]}``, or ``{"label": ..., "bbox_2d": [...]}`` with the name first."""
    named = f'"label": "{label}", ' if label is not None else ""
    return "{" + named + '"bbox_2d": [' + ", ".join(str(int(v)) for v in box) + "]}"


def boxes_json(boxes: list[list[int]]) -> str:
    return "[" + ", ".join(box_json(b) for b in boxes) + "]"


def labelled_boxes_json(scene: ToyScene, indices: list[int]) -> str:
    """Objects' boxes, each after its name: ``[{"label": "red square", "bbox_2d": [...]}, ...]``.

    Qwen2.5-VL's grounding replies carry a label per box. Written before the box, the name is the
    query the box is decoded from, and a reader knows which box is which: unlabelled, the stage-12
    base boxes a spatial question's two objects swapped as often as in order (docs/demo.md, "What
    bounds the gain").
    """
    objects = scene.objects
    items = [box_json(scene.boxes[i], phrase(objects[i].colour, objects[i].shape)) for i in indices]
    return "[" + ", ".join(items) + "]"


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def describe(scene: ToyScene, grounded: bool = False) -> str:
    parts = [
        f"{article(o.colour)} {o.colour} {o.shape}" + (" " + box_json(b) if grounded else "")
        for o, b in zip(scene.objects, scene.boxes, strict=True)
    ]
    if not parts:
        return "an empty picture"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _category(rng: random.Random) -> tuple[str | None, str | None]:
    kind = rng.choice(("shape", "colour", "both", "all"))
    colour = rng.choice(TOY_COLOURS) if kind in ("colour", "both") else None
    shape = rng.choice(TOY_SHAPES) if kind in ("shape", "both") else None
    return colour, shape


def _question_frame(rng: random.Random, question: str, suffix: str) -> str:
    """Bare, or in the GRIT prompt's ``\\nQuestion: ...`` frame (which real VLMs have seen)."""
    if rng.random() < 0.5:
        return "\nQuestion: " + question + suffix
    return question + suffix


# ---------------------------------------------------------------- single skills (content only)


def _locate_one(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    named = world.unique_kinds(scene)
    if not named:
        return None
    i = rng.choice(named)
    p = phrase(scene.objects[i].colour, scene.objects[i].shape)
    instruction = rng.choice(
        (
            f"Locate the {p} and output its bbox coordinates in JSON.",
            f"Where is the {p}? Output the coordinates in JSON with key 'bbox_2d'.",
            f"Output the bounding box of the {p} in JSON with key 'bbox_2d'.",
            f"Find the {p}.",
            f"Give the box of the {p}.",
        )
    )
    return instruction, box_json(scene.boxes[i])


def _locate_all(rng: random.Random, scene: ToyScene) -> tuple[str, str]:
    colour, shape = _category(rng)
    boxes = [scene.boxes[i] for i in scene.matching(colour, shape)]
    return _locate_all_instruction(rng, phrase(colour, shape, plural=True)), boxes_json(boxes)


def _locate_all_balanced(rng: random.Random) -> Sample:
    """Every object of a category, on the counting questions' scenes (0-4 of it, equally likely).

    Grounding every instance is a detection skill real VLMs are pre-trained on. On random scenes
    most categories match nothing or one object, and the stage-9 base listed the right number of
    boxes for only 0.20 of 1-6-object scenes, so a counting chain's boxes could not count. The
    instruction is the detection request alone, never a question, so no reply both lists boxes
    and answers from them (the held-out composition stays unseen).
    """
    scene, q, boxes = _counting_scene(rng)
    p = phrase(q["colour"], q["shape"], plural=True)
    return Sample(scene.image, _locate_all_instruction(rng, p), boxes_json(boxes), "locate_all_balanced")


def _counting_scene(rng: random.Random) -> tuple[ToyScene, dict[str, Any], list[Any]]:
    """A counting question's scene (0-4 of the category, equally likely), the question and the
    category's boxes in reading order."""
    scene, q = world.count_question(rng, rng.randint(0, 4))
    return scene, q, reading_order([scene.boxes[i] for i in q["about"]])


def counted_list(colour: str | None, shape: str | None, boxes: list[list[int]]) -> str:
    """ "There are 3 red squares: [...]": the number first, then one box for each.

    Detection replies that say how many they found before listing them are common in grounding
    data. Stating the number first lets the list's length follow the model's direct count (0.76
    on the stage-12 base) instead of a stop decision after each box, which the bare lists get
    right for only half of 1-6-object scenes. The count comes before the boxes, so no box is used
    on the way to it (answer-then-locate, which pre-training allows).
    """
    n = len(boxes)
    verb = "is" if n == 1 else "are"
    return f"There {verb} {n} {phrase(colour, shape, plural=n != 1)}: {boxes_json(boxes)}"


def _locate_all_counted(rng: random.Random) -> Sample:
    """Every object of a category on a counting scene, as a counted list (see counted_list)."""
    scene, q, boxes = _counting_scene(rng)
    p = phrase(q["colour"], q["shape"], plural=True)
    instruction = rng.choice(
        (
            f"Count the {p} and output their bbox coordinates in JSON.",
            f"Find all the {p}, say how many there are and give their boxes.",
            _locate_all_instruction(rng, p),
        )
    )
    return Sample(
        scene.image, instruction, counted_list(q["colour"], q["shape"], boxes), "locate_all_counted"
    )


def reading_order(boxes: list[Any]) -> list[Any]:
    """Boxes top row first, left to right within a row (objects sit in distinct grid cells).

    A list in random order makes its first box any of the matching objects, so the first
    coordinate's target is a mixture over their positions. One canonical order gives every
    list a single right answer, as a person reading the image would list them.
    """
    return sorted(boxes, key=lambda box: ((box[1] + box[3]) / 2 // world.CELL, box[0]))


def _locate_all_instruction(rng: random.Random, p: str) -> str:
    return rng.choice(
        (
            f"Locate every {p[:-1]} and output the bbox coordinates in JSON.",
            f"Output the coordinates of all {p} in JSON with key 'bbox_2d'.",
            f"Find all the {p}.",
            f"Detect the {p} and give their boxes.",
        )
    )


def _count(rng: random.Random, scene: ToyScene) -> tuple[str, str]:
    colour, shape = _category(rng)
    n = len(scene.matching(colour, shape))
    return world.count_text(colour, shape), str(n)


def _spatial(
    rng: random.Random, scene: ToyScene, relations: dict[str, float] = ALL_RELATIONS
) -> tuple[str, str] | None:
    named = world.unique_kinds(scene)
    for _ in range(10):
        if len(named) < 2:
            return None
        i, j = rng.sample(named, 2)
        relation = pick_relation(rng, relations)
        holds = world.relation_holds(relation, scene.boxes[i], scene.boxes[j])
        if holds is not None:
            return world.spatial_text(scene.objects[i], relation, scene.objects[j]), "yes" if holds else "no"
    return None


def _attribute(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    named = world.unique_kinds(scene)
    shapes = [o.shape for o in scene.objects]
    colours = [o.colour for o in scene.objects]
    by_shape = [i for i in range(len(shapes)) if shapes.count(shapes[i]) == 1]
    by_colour = [i for i in range(len(colours)) if colours.count(colours[i]) == 1]
    if by_shape and (not by_colour or rng.random() < 0.5):
        i = rng.choice(by_shape)
        return f"What colour is the {shapes[i]}?", colours[i]
    if by_colour:
        i = rng.choice(by_colour)
        return f"What shape is the {colours[i]} object?", shapes[i]
    if named:
        i = rng.choice(named)
        return f"Is there a {phrase(colours[i], shapes[i])}?", "yes"
    return None


def _question(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """A question about the scene and its short answer (count, spatial or attribute)."""
    pick = rng.random()
    if pick < 0.4:
        return _count(rng, scene)
    if pick < 0.8:
        return _spatial(rng, scene) or _count(rng, scene)
    return _attribute(rng, scene) or _count(rng, scene)


# ---------------------------------------------------------------- tag-following compositions


def step_phrase(rng: random.Random, verb: str, tag: str, last: bool, late: bool = False) -> str:
    """One step's instruction. ``late`` also allows the step's content to be said after its tags.

    Early bases only met "<verb> between <A> and </A>", so they tied each verb to the *next* tag
    and read an instruction whose content follows its tags ("write between <A> and </A> while you
    locate ...") one step off: the stage-6 base put the coordinates the GRIT prompt asks for in
    ``<think>`` into ``<rethink>`` instead. Real instructions put the content on either side.
    """
    if late and rng.random() < 0.5:
        return rng.choice(
            (
                f"write between <{tag}> and </{tag}> while you {verb}",
                f"fill <{tag}> </{tag}> as you {verb}",
                f"between <{tag}> and </{tag}>, {verb}",
            )
        )
    forms = [f"{verb} between <{tag}> and </{tag}>", f"{verb} between <{tag}> </{tag}>"]
    forms.append(f"{verb} inside <{tag}> </{tag}>")
    if last:
        forms += [f"{verb} after <{tag}>"] * 2
    return rng.choice(forms)


def _skill(rng: random.Random, skill: str, scene: ToyScene, question: tuple[str, str] | None):
    """(instruction verb phrase, content) for one step of a composition."""
    if skill == "locate":
        colour, shape = _category(rng)
        p = phrase(colour, shape, plural=True)
        boxes = [scene.boxes[i] for i in scene.matching(colour, shape)]
        verb = rng.choice(
            (
                f"output the coordinates of all {p} in JSON with key 'bbox_2d'",
                f"locate every {p[:-1]}",
                f"give the boxes of the {p}",
            )
        )
        return verb, boxes_json(boxes)
    if skill == "grounded_describe":
        verb = rng.choice(
            (
                "describe the image while output the coordinates of each object in JSON with key 'bbox_2d'",
                "list the objects with their bbox coordinates",
            )
        )
        return verb, describe(scene, grounded=True)
    if skill == "describe":
        return rng.choice(("describe the image", "list the objects you see")), describe(scene)
    if skill == "count":
        colour, shape = _category(rng)
        p = phrase(colour, shape, plural=True)
        return f"count the {p}", str(len(scene.matching(colour, shape)))
    if skill == "answer":
        assert question is not None
        return rng.choice(("answer the question", "give the answer", "reply to the question")), question[1]
    if skill == "repeat":
        assert question is not None
        return "repeat the question", question[0]
    if skill == "colours":
        seen = sorted({o.colour for o in scene.objects}, key=TOY_COLOURS.index)
        return "name the colours you see", ", ".join(seen) if seen else "none"
    word = rng.choice(("ok", "done", "ready", "yes", "hello", "start"))
    return f"write the word {word}", word


SKILLS = ("locate", "grounded_describe", "describe", "count", "answer", "repeat", "colours", "word")
BOX_SKILLS = ("locate", "grounded_describe")


def allowed_plan(plan: list[str]) -> bool:
    """False for the held-out composition: boxes output before a step that answers or counts."""
    seen_boxes = False
    for skill in plan:
        if skill in ANSWERING_SKILLS and seen_boxes:
            return False
        seen_boxes = seen_boxes or skill in BOX_SKILLS
    return True


def _compose(rng: random.Random, scene: ToyScene) -> tuple[str, str]:
    n_steps = rng.choice((2, 2, 3, 3, 3))
    while True:
        plan = [rng.choice(SKILLS) for _ in range(n_steps)]
        if allowed_plan(plan) and len(set(plan)) == len(plan):
            break
    needs_question = any(s in ("answer", "repeat") for s in plan) or rng.random() < 0.2
    question = _question(rng, scene) if needs_question else None
    tags = rng.sample(TAG_NAMES, n_steps)
    sentences, contents = [], []
    for k, (skill, tag) in enumerate(zip(plan, tags, strict=True)):
        verb, content = _skill(rng, skill, scene, question)
        step = step_phrase(rng, verb, tag, last=k == n_steps - 1)
        if k == 0:
            sentences.append("First, " + step)
        elif k == n_steps - 1 and rng.random() < 0.5:
            sentences[-1] += " and then " + step
        else:
            sentences.append(rng.choice(("Then, ", "Next, ", "Finally, ")) + step)
        contents.append(f"<{tag}> {content} </{tag}>")
    instruction = " " + ". ".join(sentences) + ".\n"
    prompt = ("\nQuestion: " + question[0] if question else "") + instruction
    return prompt, " ".join(contents)


# ---------------------------------------------------------------- grounding a question's objects

GROUNDING_VERBS = (
    "output the coordinates of the objects in the question in JSON with key 'bbox_2d'",
    "locate the objects the question mentions",
    "give the boxes of the objects in the question",
    "find the objects of the question and output their bbox coordinates",
    # "answer the question" inside a grounding step: a toy model keys on words, and one that has only
    # met the phrase as an answering step answers wherever it appears (the stage-6 base, asked to
    # "output necessary coordinates needed to answer the question", answered and boxed afterwards).
    "locate the objects you need to answer the question",
    "give the boxes of the objects needed to answer the question",
    "find what the question is about and output the bbox coordinates in JSON",
)
NON_ANSWERING_SKILLS = ("describe", "repeat", "colours", "word")


def _question_objects(rng: random.Random, scene: ToyScene) -> tuple[str, list[int]] | None:
    """A counting or spatial question (the demo's kinds) and the objects it is about, in mention order."""
    if rng.random() < 0.5:
        colour, shape = _category(rng)
        return world.count_text(colour, shape), scene.matching(colour, shape)
    return _spatial_question_objects(rng, scene)


def _spatial_question_objects(rng: random.Random, scene: ToyScene) -> tuple[str, list[int]] | None:
    """A spatial question about two nameable objects and the two, in mention order."""
    named = world.unique_kinds(scene)
    if len(named) < 2:
        return None
    i, j = rng.sample(named, 2)
    relation = rng.choice(world.RELATIONS)
    return world.spatial_text(scene.objects[i], relation, scene.objects[j]), [i, j]


def _compose_grounding(
    rng: random.Random,
    scene: ToyScene,
    grounded: tuple[str, list[int]] | None = None,
    grounding: str | None = None,
) -> tuple[str, str] | None:
    """A composition with one step that grounds the question's objects, and no step that answers.

    Referring grounding ("locate the objects this question is about") is a skill real VLMs are
    pre-trained on; it gives the base *short* box lists that stop, where listing a whole category
    ran away (the shipped stage-4 base listed 7.6 boxes per chain, 4.9 distinct). No step answers
    or counts, so the held-out composition -- boxes used on the way to an answer -- stays unseen.
    ``grounded`` fixes the question and its objects, ``grounding`` the grounding step's content
    (default: the objects' boxes in mention order).
    """
    grounded = grounded or _question_objects(rng, scene)
    if grounded is None:
        return None
    question, indices = grounded
    n_steps = rng.choice((1, 2, 2, 3, 3))
    plan = ["ground", *rng.sample(NON_ANSWERING_SKILLS, n_steps - 1)]
    if rng.random() < 0.3:
        rng.shuffle(plan)
    tags = rng.sample(TAG_NAMES, n_steps)
    sentences, contents = [], []
    for k, (skill, tag) in enumerate(zip(plan, tags, strict=True)):
        if skill == "ground":
            verb = rng.choice(GROUNDING_VERBS)
            content = grounding if grounding is not None else boxes_json([scene.boxes[i] for i in indices])
        else:
            verb, content = _skill(rng, skill, scene, (question, ""))
        step = step_phrase(rng, verb, tag, last=k == n_steps - 1, late=True)
        sentences.append(("First, " if k == 0 else rng.choice(("Then, ", "Next, ", "Finally, "))) + step)
        contents.append(f"<{tag}> {content} </{tag}>")
    return "\nQuestion: " + question + " " + ". ".join(sentences) + ".\n", " ".join(contents)


def _compose_grounding_labelled_pairs(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """``compose_grounding`` (counting and spatial questions, half each) whose spatial pairs are
    always labelled and whose counting lists stay plain.

    A drop-in for ``compose_grounding`` that leaves no plain form for a spatial question's pair: on
    the L2 base, which kept ``compose_grounding``'s plain pairs beside the labelled ones, a third of
    spatial chains took the labels zero-shot and GRPO-GR dropped them (docs/toy-research.md).
    """
    grounded = _question_objects(rng, scene)
    if grounded is None:
        return None
    question, indices = grounded
    if not question.startswith("Is the "):  # counting: the plain list
        return _compose_grounding(rng, scene, grounded)
    return _compose_grounding(rng, scene, grounded, labelled_boxes_json(scene, indices))


def _compose_grounding_labelled(
    rng: random.Random, scene: ToyScene, spatial_only: bool = False
) -> tuple[str, str] | None:
    """``compose_grounding`` whose grounding step names each object before its box
    (see labelled_boxes_json), in the question's order.

    ``spatial_only`` labels only the two objects of spatial questions: a counting list's labels
    all name the question's category and say nothing a reader needs, and on the L1 base
    (docs/toy-research.md) GRPO-GR dropped labels from the counting lists and the spatial pairs together.
    """
    grounded = (_spatial_question_objects if spatial_only else _question_objects)(rng, scene)
    if grounded is None:
        return None
    return _compose_grounding(rng, scene, grounded, labelled_boxes_json(scene, grounded[1]))


def _locate_labelled(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """Two or three named objects located in the order named, each box after its name."""
    named = world.unique_kinds(scene)
    if len(named) < 2:
        return None
    indices = rng.sample(named, min(len(named), rng.choice((2, 2, 3))))
    names = [phrase(scene.objects[i].colour, scene.objects[i].shape) for i in indices]
    listed = ", ".join(f"the {n}" for n in names[:-1]) + f" and the {names[-1]}"
    instruction = rng.choice(
        (
            f"Locate {listed}, in that order, and output their bbox coordinates in JSON with labels.",
            f"Give the boxes of {listed}, each with its label.",
            f"Find {listed}. Output each one's label and bbox_2d in JSON.",
        )
    )
    return instruction, labelled_boxes_json(scene, indices)


def _compose_grounding_counted(rng: random.Random) -> Sample:
    """``compose_grounding`` for a counting question whose grounding step is a counted list
    ("There are 2 red squares: [...]", see counted_list), on the counting questions' scenes (0-4 of
    the category equally often: on random scenes most categories match no object, and a first try
    there taught the base to say "There are 0")."""
    scene, q, boxes = _counting_scene(rng)
    grounding = counted_list(q["colour"], q["shape"], boxes)
    made = _compose_grounding(rng, scene, (q["question"], q["about"]), grounding)
    assert made is not None  # only a spatial question without two nameable objects gives None
    return Sample(scene.image, made[0], made[1], "compose_grounding_counted")


# ---------------------------------------------------------------- copying text from the prompt

COPY_WORDS = (
    *TOY_COLOURS, *TOY_SHAPES, "yes", "no", "none", "object", "objects", "left", "right", "above",
    "below", "of", "the", "is", "there", "box", "start", "done", "ok", "first", "then", "and",
)  # fmt: skip


def _copy(rng: random.Random, tags_only: bool = False) -> tuple[str, str]:
    """Repeat a random run of tagged words and digits: dense practice in copying from the prompt.

    Following an instruction's tag names is copying, an induction skill that a 6-layer model only
    learns from many examples; compositions alone teach it slowly (a base continued on 50 %
    compositions for 1,500 steps still wrote ``<answer>`` for every tag and could not repeat a
    question). A real pre-trained VLM copies fluently, so this is a skill the base may have.
    ``tags_only`` (the ``copy_tags`` kind) keeps the bodies to 0-1 words, so that most of the loss
    falls on tag names: words after a unique context are copied long before names after the
    ambiguous ``<``. A run that holds both ``rethink`` and ``answer`` is redrawn, so the GRIT
    composition never appears.
    """
    while True:
        parts = []
        for _ in range(rng.randint(3, 6) if tags_only else rng.randint(2, 6)):
            words = rng.randint(0, 1) if tags_only else rng.randint(1, 4)
            body = " ".join(
                rng.choice(COPY_WORDS) if rng.random() < 0.7 else str(rng.randint(0, 112))
                for _ in range(words)
            )
            if tags_only or rng.random() < 0.7:
                tag = rng.choice(TAG_NAMES)
                body = f"<{tag}> {body} </{tag}>" if body else f"<{tag}> </{tag}>"
            parts.append(body)
        text = " ".join(parts)
        if not ("<rethink>" in text and "<answer>" in text):
            break
    frame = rng.choice(("Repeat exactly: ", "Copy the following text: ", "Write this back: ", "Say: "))
    return frame + text, text


# ---------------------------------------------------------------- reasoning over boxes given as text


def _box_reasoning(
    rng: random.Random, scene: ToyScene, relations: dict[str, float] = ALL_RELATIONS
) -> tuple[str, str] | None:
    """Count the boxes in a list, or say how two given boxes lie: arithmetic on coordinates in the text.

    A pre-trained VLM's language model can compare coordinates it reads; the toy base, whose only
    numbers were its own boxes, never learned to (it answered "yes" to every left/right question
    while locating x exactly). The boxes here are given in the prompt, not produced from the image,
    so the held-out composition (the model's own boxes used on the way to an answer) stays unseen.
    """
    if rng.random() < 0.4:
        boxes = rng.sample(scene.boxes, min(len(scene.boxes), rng.randint(0, 4)))
        question = rng.choice(("How many boxes are in this list: {}?", "Count the boxes in {}."))
        if rng.random() < 0.3:
            used = [scene.boxes.index(box) for box in boxes]
            return answer_late(rng, scene, question.format(boxes_json(boxes)), str(len(boxes)), used)
        return question.format(boxes_json(boxes)), str(len(boxes))
    if len(scene.boxes) < 2:
        return None
    a, b = rng.sample(scene.boxes, 2)
    relation = pick_relation(rng, relations)
    holds = world.relation_holds(relation, a, b)
    if holds is None:
        return None
    form = rng.choice(
        (
            "Box A is {a} and box B is {b}. Is box A {r} box B?",
            "Given the boxes {a} and {b}, is the first box {r} the second?",
        )
    )
    suffix = rng.choice((" Answer yes or no.", ""))
    return form.format(a=box_json(a), b=box_json(b), r=relation) + suffix, "yes" if holds else "no"


def _named_pair(
    rng: random.Random, scene: ToyScene, relations: dict[str, float]
) -> tuple[int, int, str, bool] | None:
    """Two objects a question can name, a relation word, and whether it holds (yes and no equally)."""
    named = world.unique_kinds(scene)
    if len(named) < 2:
        return None
    want = rng.random() < 0.5
    relation = pick_relation(rng, relations)
    for _ in range(10):
        i, j = rng.sample(named, 2)
        if world.relation_holds(relation, scene.boxes[i], scene.boxes[j]) is want:
            break
    else:
        return None
    return i, j, relation, want


def _box_relation(
    rng: random.Random, scene: ToyScene, relations: dict[str, float] = ALL_RELATIONS
) -> tuple[str, str] | None:
    """Does one named object lie left of / above ... another, given both boxes as text? Yes and no equally.

    The stage-8 base writes two boxes for a spatial question but compares two boxes given as text
    at chance (0.50), a skill ``box_reasoning`` gives only a few percent of the mixture. A real
    VLM's language model compares the coordinates it reads against the question's words; this task
    gives that skill its own, balanced share, with the objects named as a question names them. The
    boxes are given, never produced by the model, so the held-out composition stays unseen.
    """
    pair = _named_pair(rng, scene, relations)
    if pair is None:
        return None
    i, j, relation, want = pair
    a, b = scene.objects[i], scene.objects[j]
    pa, pb = phrase(a.colour, a.shape), phrase(b.colour, b.shape)
    ba, bb = box_json(scene.boxes[i]), box_json(scene.boxes[j])
    given = rng.choice(
        (
            f"The {pa} is at {ba} and the {pb} is at {bb}.",
            f"Boxes: {pa} {ba}, {pb} {bb}.",
            f"{ba} {bb}",
        )
    )
    question = world.spatial_text(a, relation, b)
    suffix = rng.choice((" Answer yes or no.", DIRECT_SUFFIX, ""))
    if rng.random() < 0.3:
        return answer_late(rng, scene, question + " " + given, "yes" if want else "no", (i, j))
    if rng.random() < 0.3:
        # The layout of a chain, not its composition: the question, then the two boxes as one list
        # inside tags (once or twice), all in the prompt. Learnt on the named forms alone, the
        # comparison was not applied to a list written after the question (docs/toy-research.md, P2).
        tags = rng.sample(TAG_NAMES, 2)
        listed = boxes_json([scene.boxes[i], scene.boxes[j]])
        spans = [f"<{tag}> {listed} </{tag}>" for tag in tags[: rng.choice((1, 2))]]
        return question + " " + " ".join(spans) + suffix, "yes" if want else "no"
    # Either order: in a grounded chain the question comes first and the boxes after it.
    text = given + " " + question if rng.random() < 0.5 else question + " " + given
    return text + suffix, "yes" if want else "no"


def _unrelated_locate(rng: random.Random, scene: ToyScene, used: tuple[int, ...] | list[int]):
    """A locate step for a category none of whose objects are ``used`` by the question, or None."""
    for _ in range(10):
        colour, shape = _category(rng)
        matching = scene.matching(colour, shape)
        if not set(matching) & set(used):
            p = phrase(colour, shape, plural=True)
            verb = rng.choice((f"locate every {p[:-1]}", f"give the boxes of the {p}"))
            return verb, boxes_json([scene.boxes[k] for k in matching])
    return None


def answer_late(
    rng: random.Random, scene: ToyScene, question: str, answer: str, used: tuple[int, ...] | list[int]
) -> tuple[str, str]:
    """The question (its boxes given in the prompt), answered in the last of 2-3 tagged steps.

    Learnt only as a reply's first token, the comparison of given boxes was lost one step later:
    the P2 base compared two given boxes perfectly as a direct answer but at chance after writing
    "ok" in a first tag, and after writing boxes (docs/toy-research.md, "Answering late"). Real replies
    answer after other steps, so the earlier steps here write words, colours, a description, or
    the boxes of a category the question does *not* mention: boxes come before an answer, but
    the answer never uses them, so the held-out composition (a reply's own boxes used on the way
    to its answer) stays unseen.
    """
    n_before = rng.choice((1, 1, 2))
    steps: list[tuple[str, str]] = []
    for skill in rng.sample(("word", "colours", "describe", "locate", "locate"), 3):
        if len(steps) == n_before:
            break
        step = (
            _unrelated_locate(rng, scene, used)
            if skill == "locate"
            else _skill(rng, skill, scene, (question, ""))
        )
        if step is not None:
            steps.append(step)
    steps.append((rng.choice(("answer the question", "give the answer", "reply to the question")), answer))
    instruction, contents = _tagged_steps(rng, steps)
    return "\nQuestion: " + question + " " + instruction + "\n", " ".join(contents)


def _tagged_steps(rng: random.Random, steps: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """ "First, ... Then, ..." over fresh tag names, and each step's content inside its tags."""
    tags = rng.sample(TAG_NAMES, len(steps))
    sentences, contents = [], []
    for k, ((verb, content), tag) in enumerate(zip(steps, tags, strict=True)):
        step = step_phrase(rng, verb, tag, last=k == len(steps) - 1, late=True)
        sentences.append(("First, " if k == 0 else rng.choice(("Then, ", "Next, ", "Finally, "))) + step)
        contents.append(f"<{tag}> {content} </{tag}>")
    return ". ".join(sentences) + ".", contents


# ---------------------------------------------------------------- sketches: an answer reads the reply's own text

SKETCH_REQUESTS = (
    "Draw {objects} anywhere on this empty picture.",
    "Imagine {objects} placed on this blank canvas.",
    "Sketch a layout on this empty picture: {objects}.",
)
SKETCH_ADDITIONS = (
    "Imagine {objects} added to this picture, in empty places.",
    "Draw {objects} on this picture, where nothing is drawn yet.",
    "Sketch {objects} into the free space of this picture.",
)
SKETCH_WORDS = ("ok", "done", "ready", "hello", "start")


def _sketch(
    rng: random.Random,
    relations: dict[str, float] = ALL_RELATIONS,
    revisit: bool = False,
    labelled: bool = False,
) -> Sample | None:
    """Boxes sketched on a picture, then a question about the sketch, answered from its boxes.

    Every base compared two boxes the *prompt* gave (first-token and late answers alike) but not
    the boxes in its own reply: forced into its GRIT chain, the question's two true boxes changed
    its answer when swapped 2 times in 100 (``own_chain``), so GRPO-GR had no route from better
    boxes to better answers (docs/toy-research.md). Reading what one has just written is a language-model
    skill (any chain of thought restates numbers, then compares them), not grounding: the sketched
    objects are not in the picture (it is empty, or shows only objects of other kinds, the
    sketch going into free cells), their boxes point at nothing in it, and they are given as
    untrained context (``reply_context``) with any middle step; only the answer step is trained.
    So the base learns to answer from the text of its reply, while producing boxes from the image
    for a question and then using them -- grounded reasoning -- stays held out.

    A base trained on empty pictures with the answer right after the boxes read them there
    (left / right 1.00 / 0.95) but not with other objects in the picture or with a step between
    the boxes and the answer (docs/toy-research.md, "Reading its own reply"), hence both variations.

    ``revisit`` (the ``sketch_revisit`` kind) always puts a step between the list and the answer,
    and mostly one that writes a box again: one of the sketched boxes, or the box of one more
    object. A base that met such a step in about one sketch in ten answered its GRIT chain by
    comparing the last two boxes it had written (the list's second and the rethink's one); the
    answer has to read the list that holds the question's objects, whatever boxes follow it.

    ``labelled`` (the ``sketch_revisit_labelled`` kind) writes a spatial sketch's two boxes, and
    any box written again, after their names (labelled_boxes_json), as labelled grounding writes
    them: the answer practises reading a labelled pair from its own reply. On the XL base, whose
    chains kept labelled pairs, the answers followed a pair in the question's order in only about
    three chains in four, and fewer after GRPO-GR (docs/toy-research.md). The random draws are those of
    ``sketch_revisit``; only the boxes' text differs.
    """
    if rng.random() < 0.5:
        full = world.sample_scene(rng, rng.randint(2, 6))
        pair = _named_pair(rng, full, relations)
        if pair is None:
            return None
        i, j, relation, want = pair
        a, b = full.objects[i], full.objects[j]
        pa, pb = phrase(a.colour, a.shape), phrase(b.colour, b.shape)
        objects = f"{article(pa)} {pa} and {article(pb)} {pb}"
        question = world.spatial_text(a, relation, b)
        sketched, answer = [i, j], "yes" if want else "no"
        label_list = labelled  # only a spatial pair is labelled; counting lists stay plain
        what = rng.choice(("write their boxes", "give the two boxes", "locate them"))
        again = [
            (f"write the box of the {name} again", box_json(full.boxes[k], name if labelled else None))
            for name, k in ((pa, i), (pb, j))
        ]
    else:
        count = rng.randint(0, 4)
        colour, shape = _category(rng)
        kind = (shape or rng.choice(TOY_SHAPES), colour or rng.choice(TOY_COLOURS))
        others = [
            (sh, co)
            for sh in TOY_SHAPES
            for co in TOY_COLOURS
            if not ((colour is None or co == colour) and (shape is None or sh == shape))
        ]
        extra = [rng.choice(others) for _ in range(rng.randint(0, 3))] if others else []
        full = world.sample_scene(rng, count + len(extra), [kind] * count + extra)
        sketched = full.matching(colour, shape)
        p = phrase(colour, shape, plural=True)
        objects = rng.choice((f"some {p} (at most four)", f"up to four {p}", f"a few {p} (or none)"))
        question, answer = count_text(colour, shape), str(count)
        label_list = False
        what = rng.choice(("write their boxes", "give the boxes", "locate every one"))
        again = []  # the plain sketch's counting form has no box-again step (stage 11's recipe)
        if revisit:
            again = [
                (f"write the box of one of the {p} again", box_json(full.boxes[k])) for k in sketched[:1]
            ]
            again.append((f"write the boxes of the {p} that are in the picture", "[]"))
    shown = [] if rng.random() < 0.5 else [o for k, o in enumerate(full.objects) if k not in sketched]
    picture = world.render(shown, full.scene.background)
    request = rng.choice(SKETCH_ADDITIONS if shown else SKETCH_REQUESTS).format(objects=objects)
    listed = (
        labelled_boxes_json(full, sketched) if label_list else boxes_json([full.boxes[k] for k in sketched])
    )
    steps = [(what, listed)]
    if revisit:
        steps.append(_revisit_step(rng, full, sketched, again, question))
    elif rng.random() < 0.4:
        word = rng.choice(SKETCH_WORDS)
        middle = [(f"write the word {word}", word), ("repeat the question", question), *again]
        steps.append(rng.choice(middle))
    steps.append((rng.choice(("answer the question", "give the answer")), answer))
    instruction, contents = _tagged_steps(rng, steps)
    return Sample(
        picture.image,
        f"{request}\nQuestion: {question} {instruction}\n",
        " " + contents[-1],
        "sketch_revisit_labelled" if labelled else "sketch_revisit" if revisit else "sketch",
        reply_context=" ".join(contents[:-1]),
    )


def _revisit_step(
    rng: random.Random, full: ToyScene, sketched: list[int], again: list[tuple[str, str]], question: str
) -> tuple[str, str]:
    """The step between a sketch's list and its answer: mostly a box written again (a sketched one,
    or one more object's), else a word or the question again."""
    others = [k for k in range(len(full.objects)) if k not in sketched]
    boxes = list(again)
    if others:
        k = rng.choice(others)
        o = full.objects[k]
        boxes.append(
            (
                f"write the box of one more object, {article(o.colour)} {phrase(o.colour, o.shape)}",
                box_json(full.boxes[k]),
            )
        )
    if boxes and rng.random() < 0.8:
        verb, content = rng.choice(boxes)
        # a GRIT chain writes a lone box as a one-element list; half the revisits do the same
        return verb, ("[" + content + "]" if content.startswith("{") and rng.random() < 0.5 else content)
    word = rng.choice(SKETCH_WORDS)
    return rng.choice(((f"write the word {word}", word), ("repeat the question", question)))


# ---------------------------------------------------------------- dialogues: a later turn reads an earlier one


def _dialogue(
    rng: random.Random, scene: ToyScene, relations: dict[str, float] = ALL_RELATIONS, tagged: bool = False
) -> Sample | None:
    """A question asked in a later turn, about objects an earlier assistant turn located.

    Real VLMs are pre-trained on multi-turn grounding dialogues ("Where is the cup?" -- box --
    "Is it left of the plate?"). A toy base that had only read boxes the *user* gave answered at
    chance once the boxes stood in an assistant's text (docs/toy-research.md, "Answering late"). Here the
    earlier turns, boxes included, are given as context and never trained on; only the last reply
    is, answered directly or in the last of 2-3 tagged steps. No reply both writes boxes and
    answers from them, so the held-out composition -- grounded reasoning within one reply --
    stays unseen. ``tagged`` (the ``dialogue_tagged`` kind, P6) also puts half the earlier turns'
    boxes inside tags and half the direct questions in the ``\nQuestion:`` frame; ``dialogue``
    keeps the stage-9 base's data exactly.
    """
    if rng.random() < 0.5:
        pair = _named_pair(rng, scene, relations)
        if pair is None:
            return None
        i, j, relation, want = pair
        a, b = scene.objects[i], scene.objects[j]
        pa, pb = phrase(a.colour, a.shape), phrase(b.colour, b.shape)
        if rng.random() < 0.5:
            history = ((f"Locate the {pa} and the {pb}.", boxes_json([scene.boxes[i], scene.boxes[j]])),)
        else:
            history = (
                (f"Where is the {pa}?", box_json(scene.boxes[i])),
                (f"And the {pb}?", box_json(scene.boxes[j])),
            )
        question, answer, used = world.spatial_text(a, relation, b), "yes" if want else "no", (i, j)
    else:
        colour, shape = _category(rng)
        used = tuple(scene.matching(colour, shape))
        p = phrase(colour, shape, plural=True)
        history = ((f"Locate every {p[:-1]}.", boxes_json([scene.boxes[k] for k in used])),)
        question, answer = world.count_text(colour, shape), str(len(used))
    if tagged and rng.random() < 0.5:
        history = tuple(_tagged_turn(rng, user, reply) for user, reply in history)
    if rng.random() < 0.5:
        suffix = rng.choice(("", DIRECT_SUFFIX))
        prompt, target = (_question_frame(rng, question, suffix) if tagged else question + suffix), answer
    else:
        prompt, target = answer_late(rng, scene, question, answer, used)
    return Sample(scene.image, prompt, target, "dialogue_tagged" if tagged else "dialogue", history)


def _tagged_turn(rng: random.Random, instruction: str, boxes: str) -> tuple[str, str]:
    """An earlier turn whose boxes stand inside tags the user named, as a chain's steps do.

    Read from a bare box list, the relation stayed at 0.71 / 0.67 after 1,200 steps of P5 and did
    not carry into a reply's own tagged boxes (docs/toy-research.md, "Answering late"); this puts the
    context in a chain's layout while keeping it in an earlier, untrained turn.
    """
    tag = rng.choice(TAG_NAMES)
    where = rng.choice((f"between <{tag}> and </{tag}>", f"inside <{tag}> </{tag}>"))
    return f"{instruction} Write the boxes {where}.", f"<{tag}> {boxes} </{tag}>"


# ---------------------------------------------------------------- binding words to what is seen


def _attribute_at(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """Name the colour or shape of the object at a given box: read a token's content, in words.

    Every base up to stage 8 boxed *some* object whatever object was named (identical boxes for
    "the blue circle" and "the green square" of a two-object scene, 30 of 30), and its vision tower
    had let colour fade (a linear readout of colour from the object's token fell from 0.94 at
    initialisation to 0.63, while shape rose to 0.94): nothing it had learnt needed colour. Reading
    the object at a place the model can find, and saying what it is, ties its visual features to
    the words that name them, in both the tower and the language model.
    """
    if not scene.objects:
        return None
    i = rng.randrange(len(scene.objects))
    o, box = scene.objects[i], box_json(scene.boxes[i])
    ask = rng.random()
    if ask < 0.4:
        return rng.choice(
            (f"What colour is the object at {box}?", f"Colour of the object at {box}?")
        ), o.colour
    if ask < 0.8:
        return rng.choice((f"What shape is the object at {box}?", f"Shape of the object at {box}?")), o.shape
    return f"What is the object at {box}?", f"{article(o.colour)} {o.colour} {o.shape}"


def _locate_attribute(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """Box the only object of a colour, or the only one of a shape: binding one word to what is seen.

    The easier half of referring to an object by colour *and* shape, which no base has learnt in a
    crowded scene; a single attribute gives the language model one feature to match at a time.
    """
    colours = [o.colour for o in scene.objects]
    shapes = [o.shape for o in scene.objects]
    by_colour = [i for i, c in enumerate(colours) if colours.count(c) == 1]
    by_shape = [i for i, sh in enumerate(shapes) if shapes.count(sh) == 1]
    options = [(i, f"{colours[i]} object") for i in by_colour] + [(i, shapes[i]) for i in by_shape]
    if not options:
        return None
    i, name = rng.choice(options)
    return _locate_instruction(rng, name), box_json(scene.boxes[i])


def _locate_instruction(rng: random.Random, name: str) -> str:
    """One of the phrasings that ask to box "the <name>" (the binding drills share them)."""
    return rng.choice(
        (
            f"Locate the {name} and output its bbox coordinates in JSON.",
            f"Where is the {name}? Output the coordinates in JSON with key 'bbox_2d'.",
            f"Find the {name}.",
        )
    )


def colour_contrast_scene(rng: random.Random) -> ToyScene:
    """Two or three objects of one shape, each of its own colour: only a colour tells them apart."""
    shape = rng.choice(TOY_SHAPES)
    colours = rng.sample(TOY_COLOURS, rng.randint(2, 3))
    return world.sample_scene(rng, len(colours), [(shape, c) for c in colours])


def _locate_by_colour(rng: random.Random) -> Sample:
    """Box one of two or three same-shape objects, named by its colour (with or without the shape).

    The minimal contrast for a colour word: the shape word finds nothing here, so the box can only
    come from matching the colour word to what is seen. Bases up to M6 located "the circle" next to
    a square (0.92) but boxed either object for "the red object" (0.44-0.52), even with colour-only
    names in a third of their examples (`grit toy probe`'s `box_by_one_word`).
    """
    scene = colour_contrast_scene(rng)
    i = rng.randrange(len(scene.objects))
    o = scene.objects[i]
    name = f"{o.colour} object" if rng.random() < 0.5 else phrase(o.colour, o.shape)
    return Sample(scene.image, _locate_instruction(rng, name), box_json(scene.boxes[i]), "locate_by_colour")


def _named_word(rng: random.Random) -> tuple[str, str]:
    """Say which colour (or shape) a request names: carry the word to where the reply is written.

    A probe of M5's hidden states found the named shape readable at the last prompt position from
    layer 1 on (1.00, linear readout) and the named colour at no layer (0.16-0.38, chance 0.25), in
    "Locate the red object" as in "Locate the red": no head moves a colour word to the reply, so
    no colour can select an object there, though every object's colour is in its key (1.00).
    Locating by colour cannot teach the move, since the move pays only once a colour selects.
    Naming the word pays at once.
    """
    colour, shape = rng.choice(TOY_COLOURS), rng.choice(TOY_SHAPES)
    other = rng.choice(TOY_COLOURS)
    ask_colour = rng.random() < 0.75
    named_shape = shape if rng.random() < 0.5 or not ask_colour else None
    named = phrase(colour, named_shape)
    request = rng.choice(
        (
            f"Locate the {named} and output its bbox coordinates in JSON.",
            f"Find the {named}.",
            count_text(colour, named_shape),
            f"In which row, counting from 1 at the top, is the {named}?",
            f"Is the {named} left of the {phrase(other, rng.choice(TOY_SHAPES))}?",
        )
    )
    word, answer = ("colour", colour) if ask_colour else ("shape", shape)
    if rng.random() < 0.5:
        return f"Which {word} does this request name first? {request}", answer
    return f"{request}\nWhich {word} does that request name first?", answer


def _where(rng: random.Random, scene: ToyScene) -> tuple[str, str] | None:
    """Say which grid column or row (a number, 1 at the left or top) holds the named object.

    Localising boxes the same object whichever is named, so the box's position may reach the
    language model by a route that carries no content. Asking for the named object's column or
    row is the attribute question about place: the position has to be read from the named
    object's own token, as its colour would be. (No base has bound a name to its object yet, for
    colours either: `grit toy probe`'s `named_or_other`.) The answer is a
    digit because digits are single tokens here; ordinal words split into pieces that share a
    first token ("f|irst", "f|ou|r|th"), which a small model learns as a prior instead.
    """
    named = world.unique_kinds(scene)
    if not named:
        return None
    i = rng.choice(named)
    p = phrase(scene.objects[i].colour, scene.objects[i].shape)
    box = scene.boxes[i]  # an object lies inside its cell, so its box's corner names the cell
    if rng.random() < 0.5:
        question = rng.choice((WHERE_COLUMN, "Which column is the {p} in, counting from 1 at the left?"))
        return question.format(p=p), str(box[0] // world.CELL + 1)
    question = rng.choice((WHERE_ROW, "Which row is the {p} in, counting from 1 at the top?"))
    return question.format(p=p), str(box[1] // world.CELL + 1)


# ---------------------------------------------------------------- sampling


DEFAULT_WEIGHTS = {
    "locate": 0.15,
    "locate_all": 0.15,
    "count": 0.05,
    "count_balanced": 0.1,
    "spatial": 0.05,
    "spatial_balanced": 0.1,
    "attribute": 0.05,
    "describe": 0.05,
    "compose": 0.3,
}


# Stage one of the curriculum: only skills that need the picture, on balanced answers, so the
# language model cannot lower its loss by learning answer priors instead of looking.
VISION_WEIGHTS = {"locate": 0.35, "count_balanced": 0.25, "spatial_balanced": 0.25, "attribute": 0.15}


def relations_at(
    step: int, curriculum_steps: int, words: tuple[str, ...] = tuple(world.RELATIONS)
) -> dict[str, float]:
    """How often spatial questions use each relation word at ``step`` of a relation curriculum.

    Spatial yes/no data is balanced over relation words and answers, so no single feature of the
    input predicts the answer: "is A's x smaller than B's?" predicts "yes" for "left of" exactly as
    often as "no" for "right of". Only the interaction does, and gradient descent finds no first
    step towards it (every base answered left/right, and boxes given as text, at exactly chance;
    docs/toy-research.md, "Spatial answers were a parity problem"). With "left of" alone, the comparison
    predicts the answer and is learnt within a few hundred steps. A word that flips it must then
    come in slowly: added at an equal share, "right of" wiped out the learnt "left of" within 100
    steps (back to chance). So the first quarter is "left of" alone, and "right of", "above" and
    "below" each ramp from 0 to an equal share over one of the following quarters.
    ``curriculum_steps`` of 0 gives every word an equal share from the start.

    ``words`` names the words the curriculum brings in, in order, over equal parts of it; the
    others keep an equal share throughout (e.g. ``("above", "below")`` for a base that already
    reads "left of" and "right of").
    """
    if curriculum_steps <= 0 or step >= curriculum_steps:
        return dict(ALL_RELATIONS)
    part = curriculum_steps / len(words)
    weights = {relation: 1.0 for relation in world.RELATIONS if relation not in words}
    weights[words[0]] = 1.0
    for k, relation in enumerate(words[1:], start=1):
        weights[relation] = min(1.0, max(0.0, (step - k * part) / part))
    return {relation: weight for relation, weight in weights.items() if weight > 0}


def pick_relation(rng: random.Random, relations: dict[str, float]) -> str:
    words, weights = zip(*relations.items(), strict=True)
    return rng.choices(words, weights)[0]


# Tasks on the counting questions' scenes (0-4 of a category, equally often), which draw their own.
COUNTING_SCENE_TASKS = {
    "locate_all_balanced": _locate_all_balanced,
    "locate_all_counted": _locate_all_counted,
    "compose_grounding_counted": _compose_grounding_counted,
}


def sample_task(
    rng: random.Random,
    weights: dict[str, float] | None = None,
    max_objects: int = 6,
    min_objects: int = 1,
    relations: dict[str, float] = ALL_RELATIONS,
) -> Sample:
    """One pre-training example drawn from the task mixture ``weights``, on a scene of
    ``min_objects``-``max_objects`` objects (the balanced counting and spatial tasks draw their own);
    questions that answer a spatial relation use only ``relations`` (see relations_at)."""
    weights = weights or DEFAULT_WEIGHTS
    kinds, w = zip(*weights.items(), strict=True)
    while True:
        kind = rng.choices(kinds, w)[0]
        if kind in ("count_balanced", "spatial_balanced", *COUNTING_SCENE_TASKS):
            if max_objects < 3:  # the easiest scenes come first (one object: what and where)
                continue
            if kind in COUNTING_SCENE_TASKS:  # counting scenes draw their own 1-6 objects
                return COUNTING_SCENE_TASKS[kind](rng)
            return _balanced(rng, kind, relations)
        if kind == "locate_by_colour":
            return _locate_by_colour(rng)
        if kind in ("sketch", "sketch_revisit", "sketch_revisit_labelled"):
            sketch = _sketch(rng, relations, revisit=kind != "sketch", labelled=kind.endswith("_labelled"))
            if sketch is not None:
                return sketch
            continue
        if kind in ("dialogue", "dialogue_tagged"):
            scene = world.sample_scene(rng, rng.randint(max(2, min_objects), max(2, max_objects)))
            dialogue = _dialogue(rng, scene, relations, tagged=kind == "dialogue_tagged")
            if dialogue is not None:
                return dialogue
            continue
        scene = world.sample_scene(rng, rng.randint(min_objects, max(min_objects, max_objects)))
        made = _make(rng, kind, scene, relations)
        if made is not None:
            prompt, target = made
            return Sample(scene.image, prompt, target, kind)


def _balanced(rng: random.Random, kind: str, relations: dict[str, float] = ALL_RELATIONS) -> Sample:
    """Counting with answers 0-4 equally likely, or spatial yes/no half and half."""
    if kind == "count_balanced":
        scene, q = world.count_question(rng, rng.randint(0, 4))
        suffix = rng.choice((" Answer with a number.", DIRECT_SUFFIX, ""))
    else:
        scene, q = world.spatial_question(rng, rng.random() < 0.5, (pick_relation(rng, relations),))
        suffix = rng.choice((" Answer yes or no.", DIRECT_SUFFIX, ""))
    return Sample(scene.image, _question_frame(rng, q["question"], suffix), q["answer"], kind)


def _make(
    rng: random.Random, kind: str, scene: ToyScene, relations: dict[str, float] = ALL_RELATIONS
) -> tuple[str, str] | None:
    if kind == "locate":
        return _locate_one(rng, scene)
    if kind == "locate_all":
        return _locate_all(rng, scene)
    if kind == "describe":
        return rng.choice(("Describe the image.", "What objects are in the picture?")), describe(scene)
    if kind == "compose":
        return _compose(rng, scene)
    if kind == "compose_grounding":
        return _compose_grounding(rng, scene)
    if kind in ("compose_grounding_labelled", "compose_grounding_labelled_spatial"):
        return _compose_grounding_labelled(rng, scene, spatial_only=kind.endswith("_spatial"))
    if kind == "compose_grounding_labelled_pairs":
        return _compose_grounding_labelled_pairs(rng, scene)
    if kind == "locate_labelled":
        return _locate_labelled(rng, scene)
    if kind in ("copy", "copy_tags"):
        return _copy(rng, tags_only=kind == "copy_tags")
    if kind == "box_reasoning":
        return _box_reasoning(rng, scene, relations)
    if kind == "box_relation":
        return _box_relation(rng, scene, relations)
    if kind == "attribute_at":
        return _attribute_at(rng, scene)
    if kind == "locate_attribute":
        return _locate_attribute(rng, scene)
    if kind == "named_word":  # the scene is only a picture beside a question about words
        return _named_word(rng)
    if kind == "where":
        qa = _where(rng, scene)
        return None if qa is None else (_question_frame(rng, qa[0], rng.choice((DIRECT_SUFFIX, ""))), qa[1])
    if kind == "count":
        qa = _count(rng, scene)
        suffix = rng.choice((" Answer with a number.", DIRECT_SUFFIX, ""))
    elif kind == "spatial":
        qa = _spatial(rng, scene, relations)
        suffix = rng.choice((" Answer yes or no.", DIRECT_SUFFIX, ""))
    elif kind == "attribute":
        qa = _attribute(rng, scene)
        suffix = rng.choice((DIRECT_SUFFIX, ""))
    else:
        raise ValueError(f"unknown task kind {kind!r}; choose from {TASK_KINDS}")
    if qa is None:
        return None
    return _question_frame(rng, qa[0], suffix), qa[1]
