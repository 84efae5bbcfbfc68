"""Import errors that name the file, the row and the column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value. ``row`` is the 1-based record number (the first record after a CSV header is 1)."""

    row: int | None
    column: str | None
    message: str

    def describe(self, file: str) -> str:
        where = file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    """Nothing was imported: the file has the problems listed (the first ``MAX_PROBLEMS`` of them)."""

    MAX_PROBLEMS = 50

    def __init__(self, file: str, problems: list[Problem], total: int | None = None) -> None:
        self.file = file
        self.problems = problems[: self.MAX_PROBLEMS]
        self.total = total if total is not None else len(problems)
        lines = [p.describe(file) for p in self.problems]
        more = self.total - len(self.problems)
        if more > 0:
            lines.append(f"... and {more} more problems")
        super().__init__(f"{file}: nothing imported, {self.total} problem(s):\n" + "\n".join(lines))
