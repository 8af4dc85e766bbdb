"""Connected components over pairs (union-find), for grouping duplicates."""

from __future__ import annotations

from collections.abc import Iterable


class _DisjointSet:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root so results do not depend on pair order.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def connected_components(n: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Components with two or more members, each sorted, ordered by their smallest member."""
    ds = _DisjointSet(n)
    touched = False
    for a, b in pairs:
        ds.union(a, b)
        touched = True
    if not touched:
        return []
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(ds.find(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])
