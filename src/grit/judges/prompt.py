"""The paper's judge prompt (PAPER.md §3, Fig. 8), reproduced exactly, and parsing its reply.

The two apostrophes in the prompt are the typographic U+2019, as in the paper.
"""

from __future__ import annotations

import re

JUDGE_PROMPT = (
    "You are responsible for proofreading the answers, you need to give a score to the model\u2019s "
    "answer by referring to the standard answer, based on the given question. The full score is 1 "
    "point and the minimum score is 0 points. Please output the score in the json form "
    '"{score: <score>}". The evaluation criteria require that the closer the model\u2019s answer is '
    "to the standard answer, the higher the score.\n"
    "Question: {question}\n"
    "Standard answer: {answer}\n"
    "Model\u2019s answer: {prediction}"
)

_PLACEHOLDER = re.compile(r"\{(question|answer|prediction)\}")


def build_judge_prompt(question: str, answer: str, prediction: str, template: str = JUDGE_PROMPT) -> str:
    """Fill the template in one pass, so braces or placeholders inside the texts stay literal."""
    values = {"question": question, "answer": answer, "prediction": prediction}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
# {score: 1}, {"score": 0.5}, {'score': '1'}, score = 1, Score: <0.8>, "score": 8/10, score is 1
_SCORE = re.compile(
    rf"""score["'*\s]*(?:[:=]|\bis\b|\bof\b)\s*[<\[("'*\s]*(?P<value>{_NUMBER})\s*[>\])"'*]?"""
    rf"""(?:\s*(?:/|out\s+of)\s*(?P<scale>{_NUMBER}))?""",
    re.IGNORECASE,
)
_BARE = re.compile(rf"^\s*[{{(\[]?\s*(?P<value>{_NUMBER})\s*[}})\]]?\s*\.?\s*$")
MAX_REPLY_CHARS = 4000


def parse_score(reply: str | None) -> float | None:
    """The score in a judge reply, in [0, 1], or ``None`` when there is no unambiguous valid score.

    The last ``score`` field wins (a model that echoes the "{score: <score>}" template and then
    answers is read right); "8/10" and "8 out of 10" are scaled; a value outside [0, 1] with no
    scale is invalid rather than clipped, so that it is retried instead of trusted.
    """
    if not reply:
        return None
    text = reply[:MAX_REPLY_CHARS]
    matches = list(_SCORE.finditer(text))
    match = matches[-1] if matches else _BARE.match(text)
    if match is None:
        return None
    value = float(match.group("value"))
    scale = match.groupdict().get("scale")
    if scale is not None:
        denominator = float(scale)
        if denominator <= 0:
            return None
        value /= denominator
    return value if 0.0 <= value <= 1.0 else None
