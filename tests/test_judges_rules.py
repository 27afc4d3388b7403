"""The offline rule judges against a table of realistic cases in the styles of the GRIT benchmarks
(TallyQA counting, VSR/MME/GQA yes-no, MathVista multiple choice and free-form, GQA short open
answers, math), including hard negatives: hedges, contradictions, near misses, negations."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grit.judges import JudgeRequest
from grit.judges.auto import AutoJudge
from grit.judges.choices import parse_options, prediction_letter
from grit.judges.numbers import extract_number, parse_number
from grit.judges.rules import MathJudge, MultipleChoiceJudge, NumberJudge, OpenAnswerJudge, YesNoJudge

MV_HINT = (
    "Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\n"
)
MV_Q1 = MV_HINT + "Question: What is the value of the smallest bar?\nChoices:\n(A) 3\n(B) 4\n(C) 5\n(D) 10"
MV_Q2 = (
    MV_HINT + "Question: Is the number of red cars less than the number of blue buses?\n"
    "Choices:\n(A) Yes\n(B) No"
)
MV_Q3 = (
    MV_HINT + "Question: Which shape is the largest?\nChoices:\n(A) circle\n(B) red square\n"
    "(C) square\n(D) triangle"
)
MV_FREE = (
    "Hint: Please answer the question requiring a floating-point number with two decimal places "
    "and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.\nQuestion: What is the slope?"
)
MV_INT = (
    "Hint: Please answer the question requiring an integer answer and provide the final value, "
    "e.g., 1, 2, 3, at the end.\nQuestion: How many people in the image were born after WWII?"
)
MC_INLINE = "What is the man holding? A. a kite B. an umbrella C. a bag D. a phone"
MC_OPTIONS = "Which direction is the dog facing?\nOptions: A: left, B: right, C: up, D: down"
MME_EXIST = "Is there a dog in this image? Please answer yes or no."
MME_COUNT = "Are there three people in the image? Please answer yes or no."
MME_POS = "Is the cake on the left side of the image? Please answer yes or no."
VSR = "Is the motorcycle away from the bird?"
TALLY = "How many giraffes are there?"
GQA_SIDE = "On which side of the photo is the man?"
GQA_MAT = "What is the table made of?"
GQA_WHO = "Who is wearing a hat?"
MATH = "Solve for x: 2x + 1 = 2."

# (question, reference, prediction, expected score)
CASES: list[tuple[str, str, str, float]] = [
    # --- counting (TallyQA, digits and words) ---------------------------------------------
    (TALLY, "3", "3", 1),
    (TALLY, "3", "three", 1),
    (TALLY, "3", "Three.", 1),
    (TALLY, "3", "3.0", 1),
    (TALLY, "3", "There are 3 giraffes.", 1),
    (TALLY, "3", "There are three giraffes in the image.", 1),
    (TALLY, "3", "I can see 3 giraffes, so the answer is 3.", 1),
    (TALLY, "3", "4", 0),
    (TALLY, "3", "four", 0),
    (TALLY, "3", "3 or 4", 0),
    (TALLY, "3", "There are 2 adult giraffes and 1 baby.", 0),
    (TALLY, "3", "Several giraffes.", 0),
    (TALLY, "3", "13", 0),
    (TALLY, "3", "", 0),
    (TALLY, "0", "0", 1),
    (TALLY, "0", "zero", 1),
    (TALLY, "0", "None.", 1),
    (TALLY, "0", "There are no giraffes.", 1),
    (TALLY, "0", "No giraffes.", 1),
    (TALLY, "0", "No, there are none.", 1),
    # a bare "no" answers a yes/no question, not "how many": one constant "no" must not score on both
    (TALLY, "0", "no", 0),
    (TALLY, "0", "No.", 0),
    (TALLY, "0", "1", 0),
    (TALLY, "2", "two", 1),
    (TALLY, "2", "A pair of them, two in total.", 1),
    (TALLY, "12", "twelve", 1),
    (TALLY, "12", "a dozen", 1),
    (TALLY, "21", "twenty-one", 1),
    (TALLY, "21", "twenty one", 1),
    (TALLY, "20", "twenty-one", 0),
    ("How many people are in the picture?", "1", "There is one person.", 1),
    ("How many people are in the picture?", "1", "There is 1 person, possibly 2.", 0),
    ("How many birds are flying?", "4", "The answer is 4 birds.", 1),
    ("How many birds are flying?", "4", "In the first row 2, in the second 2; total: 4", 1),
    ("How many cars are parked?", "5", "5 cars", 1),
    ("How many cars are parked?", "5", "five cars", 1),
    ("How many cars are parked?", "5", "6 cars", 0),
    # --- yes / no (VSR, MME, GQA) ------------------------------------------------------------
    (VSR, "yes", "yes", 1),
    (VSR, "yes", "Yes", 1),
    (VSR, "yes", "Yes.", 1),
    (VSR, "yes", "Yes, the motorcycle is away from the bird.", 1),
    (VSR, "yes", "The answer is yes.", 1),
    (VSR, "yes", "No", 0),
    (VSR, "yes", "No, the motorcycle is next to the bird.", 0),
    (VSR, "yes", "yes and no", 0),
    (VSR, "yes", "I cannot tell from the image.", 0),
    (VSR, "yes", "", 0),
    (VSR, "no", "no", 1),
    (VSR, "no", "No.", 1),
    (VSR, "no", "No, it is not.", 1),
    (VSR, "no", "Nope, they are touching.", 1),
    (VSR, "no", "yes", 0),
    (VSR, "no", "Yes, it is away.", 0),
    (VSR, "yes", "True", 1),
    (VSR, "no", "False.", 1),
    (MME_EXIST, "Yes", "yes", 1),
    (MME_EXIST, "Yes", "Yes, there is a dog lying on the grass.", 1),
    (MME_EXIST, "No", "No, there is no dog.", 1),
    (MME_EXIST, "No", "There is no dog in this image.", 1),
    (MME_EXIST, "Yes", "There is no dog in this image.", 0),
    (MME_COUNT, "No", "No, there are only two people.", 1),
    (MME_COUNT, "No", "Yes, three people.", 0),
    (MME_POS, "Yes", "Yes.", 1),
    (MME_POS, "Yes", "Maybe.", 0),
    ("Is the sky cloudy?", "yes", "yeah", 1),
    ("Are the animals standing?", "no", "Not sure, maybe yes.", 0),
    # --- multiple choice (MathVista letters/texts, inline and "Options:" styles) --------------
    (MV_Q1, "3", "A", 1),
    (MV_Q1, "3", "(A)", 1),
    (MV_Q1, "3", "(A) 3", 1),
    (MV_Q1, "3", "3", 1),
    (MV_Q1, "3", "The answer is A.", 1),
    (MV_Q1, "3", "The smallest bar has value 3, so the answer is (A).", 1),
    (MV_Q1, "3", "Answer: A", 1),
    (MV_Q1, "3", "B", 0),
    (MV_Q1, "3", "4", 0),
    (MV_Q1, "3", "(B) 3", 0),
    (MV_Q1, "3", "A or B", 0),
    (MV_Q1, "3", "(A) or (B)", 0),
    (MV_Q1, "3", "10", 0),
    (MV_Q1, "3", "I don't know.", 0),
    (MV_Q2, "Yes", "A", 1),
    (MV_Q2, "Yes", "Yes", 1),
    (MV_Q2, "Yes", "(A) Yes", 1),
    (MV_Q2, "Yes", "No", 0),
    (MV_Q2, "Yes", "B", 0),
    (MV_Q3, "red square", "B", 1),
    (MV_Q3, "red square", "red square", 1),
    (MV_Q3, "red square", "The largest is the red square.", 1),
    (MV_Q3, "red square", "square", 0),
    (MV_Q3, "red square", "C", 0),
    (MV_Q3, "square", "square", 1),
    (MV_Q3, "square", "red square", 0),
    (MC_INLINE, "B", "B", 1),
    (MC_INLINE, "B", "B. an umbrella", 1),
    (MC_INLINE, "B", "an umbrella", 1),
    (MC_INLINE, "B", "He is holding an umbrella.", 1),
    (MC_INLINE, "B", "A kite", 0),
    (MC_INLINE, "B", "a kite", 0),
    (MC_INLINE, "B", "C", 0),
    (MC_OPTIONS, "A", "A", 1),
    (MC_OPTIONS, "A", "left", 1),
    (MC_OPTIONS, "A", "Option A", 1),
    (MC_OPTIONS, "A", "right", 0),
    (MC_OPTIONS, "A", "Option B: right", 0),
    # --- MathVista free-form numbers -----------------------------------------------------------
    (MV_FREE, "1.25", "1.25", 1),
    (MV_FREE, "1.25", "1.250", 1),
    (MV_FREE, "1.25", "The slope is 1.25.", 1),
    (MV_FREE, "1.25", "1.2", 0),
    (MV_FREE, "1.25", "1.26", 0),
    (MV_FREE, "1.25", "-1.25", 0),
    (MV_INT, "2", "2", 1),
    (MV_INT, "2", "Two people were born after WWII.", 1),
    (MV_INT, "2", "The answer is 3", 0),
    ("What is the population in millions?", "1,200", "1200", 1),
    ("What percentage of people prefer tea?", "45", "45%", 1),
    ("What percentage of people prefer tea?", "45", "54%", 0),
    # --- math answers (math-verify) ------------------------------------------------------------
    (MATH, "\\frac{1}{2}", "1/2", 1),
    (MATH, "\\frac{1}{2}", "0.5", 1),
    (MATH, "\\frac{1}{2}", "$x = \\frac{1}{2}$", 1),
    (MATH, "\\frac{1}{2}", "\\frac{2}{4}", 1),
    (MATH, "\\frac{1}{2}", "2", 0),
    (MATH, "\\frac{1}{2}", "\\frac{1}{3}", 0),
    ("What is the diagonal of a unit square?", "\\sqrt{2}", "$\\sqrt{2}$", 1),
    ("What is the diagonal of a unit square?", "\\sqrt{2}", "\\sqrt{3}", 0),
    ("What is 2^10?", "2^{10}", "1024", 1),
    ("What is 2^10?", "2^{10}", "1000", 0),
    # --- short open answers (GQA) --------------------------------------------------------------
    (GQA_SIDE, "left", "left", 1),
    (GQA_SIDE, "left", "Left.", 1),
    (GQA_SIDE, "left", "On the left.", 1),
    (GQA_SIDE, "left", "The man is on the left side.", 1),
    (GQA_SIDE, "left", "right", 0),
    (GQA_SIDE, "left", "not on the left", 0),
    (GQA_SIDE, "left", "left or right", 0),
    (GQA_MAT, "wood", "wood", 1),
    (GQA_MAT, "wood", "The table is made of wood.", 1),
    (GQA_MAT, "wood", "metal", 0),
    (GQA_MAT, "wood", "wooden", 0),
    (GQA_WHO, "the man", "man", 1),
    (GQA_WHO, "man", "The man.", 1),
    (GQA_WHO, "man", "the woman", 0),
    ("What animal is this?", "giraffe", "giraffes", 1),
    ("What animal is this?", "giraffe", "A giraffe", 1),
    ("What animal is this?", "giraffe", "zebra", 0),
    ("What color is the bus?", "red", "Red", 1),
    ("What color is the bus?", "red", "dark red", 1),
    ("What color is the bus?", "red", "red and white", 0),
    ("What color is the bus?", "red", "It is not red, it is blue.", 0),
    ("What is the man doing?", "surfing", "The man in the black wetsuit is riding a wave and surfing.", 0),
]


def test_table_is_large_and_balanced() -> None:
    assert len(CASES) >= 100
    negatives = sum(1 for *_, expected in CASES if expected == 0)
    assert negatives >= 40


@pytest.mark.parametrize(("question", "reference", "prediction", "expected"), CASES)
def test_auto_judge_case_table(question: str, reference: str, prediction: str, expected: float) -> None:
    verdict = AutoJudge().judge_request(JudgeRequest(question, reference, prediction))
    assert verdict.score == expected, verdict.reason
    assert verdict.reason


def test_explicit_question_type_overrides_detection() -> None:
    # "3" looks like a count, but the caller says it is an open answer: "three" is then no match.
    request = JudgeRequest("Which page?", "3", "page three", question_type="open")
    assert AutoJudge().route(request) == "number"
    request = JudgeRequest("Which page?", "abc", "abc", question_type="yes_no")
    assert AutoJudge().route(request) == "open"
    assert AutoJudge().route(JudgeRequest("Q", "yes", "no", question_type="yes_no")) == "yes_no"


def test_single_judges_directly() -> None:
    assert NumberJudge().judge(TALLY, "3", "three").score == 1
    assert YesNoJudge().judge(VSR, "no", "No, it isn't.").score == 1
    assert MultipleChoiceJudge().judge(MV_Q1, "3", "(A)").score == 1
    assert OpenAnswerJudge().judge(GQA_SIDE, "left", "left").score == 1
    assert MathJudge().judge(MATH, "\\frac{1}{2}", "0.5").score == 1
    # Falls back when the reference is not of the judge's kind.
    assert NumberJudge().judge("Q", "cat", "the cat").score == 1
    assert YesNoJudge().judge("Q", "cat", "cat").score == 1


def test_math_judge_works_outside_the_main_thread() -> None:
    results: list[float | None] = []
    thread = threading.Thread(
        target=lambda: results.append(MathJudge().judge(MATH, "\\frac{1}{2}", "0.5").score)
    )
    thread.start()
    thread.join()
    assert results == [1.0]


def test_parse_options_styles() -> None:
    assert parse_options(MV_Q1) == {"A": "3", "B": "4", "C": "5", "D": "10"}
    assert parse_options(MC_INLINE) == {"A": "a kite", "B": "an umbrella", "C": "a bag", "D": "a phone"}
    assert parse_options(MC_OPTIONS) == {"A": "left", "B": "right", "C": "up", "D": "down"}
    assert parse_options("Is it plan A. Really?") == {}
    assert prediction_letter("A cat", {"A": "dog", "B": "cat"})[0] == "B"


def test_huge_model_output_is_bounded() -> None:
    junk = "1 " * 200_000 + "(" * 100_000
    for judge in (NumberJudge(), YesNoJudge(), MultipleChoiceJudge(), OpenAnswerJudge()):
        assert judge.judge(MV_Q1, "3", junk).score in (0.0, 1.0)


_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@given(st.integers(min_value=0, max_value=10))
def test_number_words_equal_digits(n: int) -> None:
    assert parse_number(_WORDS[n]) == parse_number(str(n)) == parse_number(f"{n}.0") == n


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_two_different_numbers_are_ambiguous(a: int, b: int) -> None:
    value, _ = extract_number(f"maybe {a} or {b}")
    assert value == (a if a == b else None)
