"""Question-type detection over the wording of the paper's benchmarks."""

from __future__ import annotations

import pytest

from grit.data.question_types import (
    QuestionType,
    coerce_question_type,
    detect_question_type,
    looks_like_box_answer,
    parse_count_answer,
)

T = QuestionType

CASES = [
    # TallyQA-style counting
    ("How many dogs are in the picture?", "2", T.COUNT),
    ("How many giraffes are there?", "0", T.COUNT),
    ("how many people are visible", "three", T.COUNT),
    ("Count the red squares.", "4", T.COUNT),
    ("What is the number of cars?", "12", T.COUNT),
    ("How many apples?", "", T.COUNT),
    ("What number is on the shirt?", "7", T.COUNT),
    # VSR / GQA yes-no
    ("Is the motorcycle away from the bird?", "yes", T.YES_NO),
    ("Is the cat left of the dog?", "No", T.YES_NO),
    ("Are there any cups?", "no.", T.YES_NO),
    ("Does the man wear a hat?", "", T.YES_NO),
    ("The cat is on the table.", "True", T.YES_NO),
    ("Is the number of cars greater than 2?", "yes", T.YES_NO),
    # MME-style
    ("Is there a train in this image? Please answer yes or no.", "Yes", T.YES_NO),
    ("Are there two dogs in the image? Please answer yes or no.", "No", T.YES_NO),
    # MathVista-style multiple choice
    ("Which shape is largest?\nChoices:\n(A) circle\n(B) square\n(C) triangle", "A", T.MULTIPLE_CHOICE),
    ("What is x? (A) 1 (B) 2 (C) 3 (D) 4", "(B)", T.MULTIPLE_CHOICE),
    ("Which is bigger?\nA. the cat\nB. the dog", "B", T.MULTIPLE_CHOICE),
    ("How many sides? Options: (A) 3 (B) 4", "B", T.MULTIPLE_CHOICE),
    ("Pick one. Options: yes, no, maybe", "maybe", T.MULTIPLE_CHOICE),
    # OVDEval-style boxes
    ("Locate the person on the left of the car.", "[10, 20, 110, 220]", T.BOX),
    ("Where is the red circle?", "[12.5, 30.0, 80.25, 96.0]", T.BOX),
    ("Where is the cup?", '{"bbox_2d": [1, 2, 3, 4]}', T.BOX),
    ("Find all dogs.", "[1, 2, 3, 4], [5, 6, 7, 8]", T.BOX),
    ("Give the bounding box of the car.", "", T.BOX),
    ("Where is the dog?", "", T.BOX),
    ("Locate the cat.", "(10,20),(30,40)", T.BOX),
    # Open answers
    ("What colour is the car?", "red", T.OPEN),
    ("Where is the dog?", "on the sofa", T.OPEN),
    ("What is the value of x?", "2.5", T.OPEN),
    ("What is written on the sign?", "stop", T.OPEN),
    ("Describe the scene.", "", T.OPEN),
    ("What is the relation between A and B?", "left of", T.OPEN),
]


@pytest.mark.parametrize(("question", "answer", "expected"), CASES)
def test_detect_question_type(question: str, answer: str, expected: QuestionType) -> None:
    assert detect_question_type(question, answer) is expected


def test_question_type_is_a_str_enum() -> None:
    assert T.YES_NO == "yes_no"
    assert {t.value for t in T} == {"count", "yes_no", "multiple_choice", "open", "box"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("count", T.COUNT), ("yes/no", T.YES_NO), ("MC", T.MULTIPLE_CHOICE), ("bbox", T.BOX), (T.OPEN, T.OPEN)],
)
def test_coerce_question_type(value: str, expected: QuestionType) -> None:
    assert coerce_question_type(value) is expected


def test_coerce_question_type_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown question type"):
        coerce_question_type("essay")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2, 3, 4]", True),
        ("1 2 3", False),
        ("[1,2,3,4,5]", False),
        ("the box [1,2,3,4]", False),
        ("", False),
    ],
)
def test_looks_like_box_answer(text: str, expected: bool) -> None:
    assert looks_like_box_answer(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("3", 3), ("Three.", 3), ("none", 0), ("3.5", None), ("-1", None)]
)
def test_parse_count_answer(text: str, expected: int | None) -> None:
    assert parse_count_answer(text) == expected
