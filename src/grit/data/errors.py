"""Data errors and the load report.

Every problem names the file, the line (1-based; for Hugging Face datasets the row index) and
the field, so a user can open the file and fix it. With policy ``skip`` the same problems are
collected in a ``LoadReport`` instead of raised: counted by reason and reported, never silently
dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Policy = Literal["error", "skip"]
POLICIES = ("error", "skip")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row."""

    source: str  # file path or dataset id
    line: int | None  # 1-based line in a JSONL file, or 0-based row index of a HF dataset
    field: str  # the field at fault, e.g. "bboxs[1]", "image", "json"
    reason: str  # short stable key used for counting, e.g. "box_inverted"
    message: str  # human explanation

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: field '{self.field}': {self.message}"


class DataError(ValueError):
    """A data file or row is wrong. ``str(err)`` names the file, line and field."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem

    @property
    def source(self) -> str:
        return self.problem.source

    @property
    def line(self) -> int | None:
        return self.problem.line

    @property
    def field(self) -> str:
        return self.problem.field

    @property
    def reason(self) -> str:
        return self.problem.reason


class RowProblem(Exception):
    """Raised by row checks; the loader adds file and line and turns it into a ``Problem``."""

    def __init__(self, field: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.message = message


@dataclass
class LoadReport:
    """What a load read, kept and skipped (and why), per source."""

    rows_read: int = 0
    rows_kept: int = 0
    skipped_by_reason: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    rows_per_dataset: Counter = field(default_factory=Counter)
    question_types: Counter = field(default_factory=Counter)
    rows_with_boxes: int = 0
    sources: list[str] = field(default_factory=list)
    max_problems_kept: int = 1000

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped_by_reason.values())

    def add_problem(self, problem: Problem) -> None:
        self.skipped_by_reason[problem.reason] += 1
        if len(self.problems) < self.max_problems_kept:
            self.problems.append(problem)

    def merge(self, other: LoadReport) -> None:
        self.rows_read += other.rows_read
        self.rows_kept += other.rows_kept
        self.skipped_by_reason.update(other.skipped_by_reason)
        self.problems.extend(other.problems[: max(0, self.max_problems_kept - len(self.problems))])
        self.rows_per_dataset.update(other.rows_per_dataset)
        self.question_types.update(other.question_types)
        self.rows_with_boxes += other.rows_with_boxes
        self.sources.extend(other.sources)

    def summary(self, max_problems: int = 20) -> str:
        """A human-readable summary, as printed by ``grit data validate``."""
        lines = [
            f"sources: {len(self.sources)}",
            f"rows read: {self.rows_read}, kept: {self.rows_kept}, skipped: {self.rows_skipped}",
            f"rows with boxes: {self.rows_with_boxes}",
            "rows per dataset: " + _fmt_counter(self.rows_per_dataset),
            "question types: " + _fmt_counter(self.question_types),
        ]
        if self.skipped_by_reason:
            lines.append("problems by reason: " + _fmt_counter(self.skipped_by_reason))
            lines.extend(f"  {p}" for p in self.problems[:max_problems])
            more = self.rows_skipped - min(max_problems, len(self.problems))
            if more > 0:
                lines.append(f"  ... and {more} more")
        else:
            lines.append("problems: none")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_skipped": self.rows_skipped,
            "skipped_by_reason": dict(self.skipped_by_reason),
            "rows_per_dataset": dict(self.rows_per_dataset),
            "question_types": dict(self.question_types),
            "rows_with_boxes": self.rows_with_boxes,
            "sources": list(self.sources),
            "problems": [str(p) for p in self.problems],
        }


def _fmt_counter(counter: Counter) -> str:
    if not counter:
        return "-"
    return ", ".join(f"{k}={v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))))
