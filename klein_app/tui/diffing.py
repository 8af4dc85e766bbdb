"""Side-by-side comparison of two texts, as rows a widget can draw (difflib does the matching)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side view. A missing side has number None and empty text."""

    tag: str  # "equal" | "replace" | "delete" | "insert"
    left_no: int | None
    left: str
    right_no: int | None
    right: str


@dataclass(frozen=True)
class DiffSummary:
    same: int
    changed: int
    only_left: int
    only_right: int
    ratio: float


def side_by_side(left: list[str], right: list[str]) -> list[DiffRow]:
    """Rows pairing equal lines, and lining up replaced, deleted and inserted ones."""
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", i + 1, left[i], j + 1, right[j]) for i, j in zip(range(i1, i2), range(j1, j2)))
        elif tag == "delete":
            rows.extend(DiffRow("delete", i + 1, left[i], None, "") for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(DiffRow("insert", None, "", j + 1, right[j]) for j in range(j1, j2))
        else:
            for i, j in zip_longest(range(i1, i2), range(j1, j2)):
                rows.append(
                    DiffRow(
                        "replace",
                        None if i is None else i + 1,
                        "" if i is None else left[i],
                        None if j is None else j + 1,
                        "" if j is None else right[j],
                    )
                )
    return rows


def summarize(rows: list[DiffRow]) -> DiffSummary:
    same = sum(r.tag == "equal" for r in rows)
    changed = sum(r.tag == "replace" for r in rows)
    only_left = sum(r.tag == "delete" for r in rows)
    only_right = sum(r.tag == "insert" for r in rows)
    ratio = same / len(rows) if rows else 1.0
    return DiffSummary(same, changed, only_left, only_right, ratio)


def changed_spans(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character spans that differ between two paired lines, so a replaced line shows what changed."""
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    left: list[tuple[int, int]] = []
    right: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            if i2 > i1:
                left.append((i1, i2))
            if j2 > j1:
                right.append((j1, j2))
    return left, right
