"""Grouping chunk hits by file: one result per file, its best chunk first."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FileGroup:
    path: str
    best: object  # the best-ranked hit of this file (whatever the caller ranks)
    score: float
    others: int  # how many more hits the same file had among the candidates


def group_by_file(ranked: Iterable[tuple[T, float]], path_of) -> list[FileGroup]:
    """Collapse (hit, score) pairs, best first, into one group per file, keeping the order of best hits."""
    groups: dict[Hashable, FileGroup] = {}
    for hit, score in ranked:
        path = path_of(hit)
        group = groups.get(path)
        if group is None:
            groups[path] = FileGroup(path=path, best=hit, score=score, others=0)
        else:
            groups[path] = FileGroup(path=path, best=group.best, score=group.score, others=group.others + 1)
    return list(groups.values())
