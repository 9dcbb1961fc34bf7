"""Clustering: accepted pairs → groups of deals, never joining two deals a person marked as distinct.

Pairs are merged strongest first (Kruskal's order: match weight descending, then record order) with a
union-find. Before two groups merge, the "not a duplicate" decisions are checked: if any member of one group was
marked distinct from any member of the other, that link is skipped and remembered. So transitivity holds
(A~B and B~C put A, B and C in one group) except where a person said otherwise, and then the split follows the
evidence: the strongest links form groups first, and the link that would join the marked pair is the one left
out. Records are in canonical order and ties break on it, so the same pairs give the same groups in any input
order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Edge = tuple[float, int, int]  # (match weight, i, j) with i < j


@dataclass
class Group:
    """One cluster under construction: its members, the links that joined them, the links refused."""

    members: list[int]
    links: list[Edge] = field(default_factory=list)
    kept_apart: list[tuple[int, int]] = field(default_factory=list)  # (member, other): a match refused


class _UnionFind:
    def __init__(self, cannot_link: Iterable[tuple[int, int]]) -> None:
        self.parent: dict[int, int] = {}
        self.forbidden: dict[int, set[int]] = {}  # root -> records its group must never contain
        for a, b in cannot_link:
            self.forbidden.setdefault(a, set()).add(b)
            self.forbidden.setdefault(b, set()).add(a)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent.get(root, root) != root:
            root = parent[root]
        while i != root:  # path compression
            parent[i], i = root, parent[i]
        return root

    def conflict(self, root_a: int, root_b: int) -> bool:
        """Whether a member of one group was marked distinct from a member of the other (marks are symmetric,
        so the smaller of the two groups' sets is enough to look through)."""
        small, large = sorted((root_a, root_b), key=lambda r: (len(self.forbidden.get(r, ())), r))
        return any(self.find(other) == large for other in self.forbidden.get(small, ()))

    def union(self, root_a: int, root_b: int) -> int:
        keep, gone = min(root_a, root_b), max(root_a, root_b)
        self.parent[gone] = keep
        moved = self.forbidden.pop(gone, None)
        if moved:
            self.forbidden.setdefault(keep, set()).update(moved)
        return keep


def cluster(edges: Iterable[Edge], cannot_link: Iterable[tuple[int, int]] = ()) -> list[Group]:
    """Groups of two or more records, each with its members sorted, in order of their first member."""
    forest = _UnionFind(cannot_link)
    links: dict[int, list[Edge]] = {}
    refused: list[Edge] = []
    for edge in sorted(set(edges), key=lambda e: (-e[0], e[1], e[2])):
        root_a, root_b = forest.find(edge[1]), forest.find(edge[2])
        if root_a == root_b:
            continue
        if forest.conflict(root_a, root_b):
            refused.append(edge)
            continue
        root = forest.union(root_a, root_b)
        merged = links.pop(root_a, []) + links.pop(root_b, [])
        links[root] = [*merged, edge]
    return _groups(forest, links, refused)


def _groups(forest: _UnionFind, links: dict[int, list[Edge]], refused: list[Edge]) -> list[Group]:
    groups: dict[int, Group] = {}
    for root, edges in links.items():
        members = sorted({i for _, a, b in edges for i in (a, b)})
        groups[root] = Group(members, sorted(edges, key=lambda e: (-e[0], e[1], e[2])))
    for _, a, b in refused:
        for i, j in ((a, b), (b, a)):
            group = groups.get(forest.find(i))
            if group is not None and (i, j) not in group.kept_apart:
                group.kept_apart.append((i, j))
    return sorted(groups.values(), key=lambda g: g.members[0])
