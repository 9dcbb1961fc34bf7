"""Clustering over accepted pairs: transitive, respects "not a duplicate", the same whatever the edge order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealsync.quality.dedupe.clustering import Edge, cluster


def _members(edges: list[Edge], cannot: list[tuple[int, int]] | None = None) -> list[list[int]]:
    return [group.members for group in cluster(edges, cannot or [])]


@pytest.mark.parametrize(
    ("edges", "cannot", "expected"),
    [
        ([], [], []),
        ([(5.0, 0, 1)], [], [[0, 1]]),
        # transitivity: A~B and B~C put A, B and C together, though A and C were never compared
        ([(5.0, 0, 1), (5.0, 1, 2)], [], [[0, 1, 2]]),
        ([(5.0, 0, 1), (6.0, 2, 3), (4.0, 1, 3)], [], [[0, 1, 2, 3]]),
        ([(5.0, 0, 1), (6.0, 2, 3)], [], [[0, 1], [2, 3]]),
        # a direct link between two deals marked distinct is refused
        ([(9.0, 0, 1)], [(0, 1)], []),
        # ... and so is a transitive one: the weakest link that would join them is the one left out
        ([(5.0, 0, 1), (4.0, 1, 2)], [(0, 2)], [[0, 1]]),
        ([(4.0, 0, 1), (5.0, 1, 2)], [(0, 2)], [[1, 2]]),
        ([(5.0, 0, 1), (5.0, 2, 3), (3.0, 1, 2)], [(0, 3)], [[0, 1], [2, 3]]),
        # a mark between deals that were never linked changes nothing
        ([(5.0, 0, 1)], [(2, 3)], [[0, 1]]),
        # equal weights: ties break on record order, so the split is still deterministic
        ([(5.0, 0, 1), (5.0, 1, 2)], [(0, 2)], [[0, 1]]),
    ],
)
def test_groups(edges: list[Edge], cannot: list[tuple[int, int]], expected: list[list[int]]) -> None:
    assert _members(edges, cannot) == expected


def test_a_refused_link_is_remembered_on_both_sides() -> None:
    groups = cluster([(5.0, 0, 1), (5.0, 2, 3), (3.0, 1, 2)], [(0, 3)])
    assert [g.kept_apart for g in groups] == [[(1, 2)], [(2, 1)]]
    assert [g.links for g in groups] == [[(5.0, 0, 1)], [(5.0, 2, 3)]]


def test_duplicate_edges_count_once() -> None:
    groups = cluster([(5.0, 0, 1), (5.0, 0, 1), (5.0, 1, 2)])
    assert len(groups[0].links) == 2


edge_lists = st.lists(
    st.tuples(st.sampled_from([1.0, 2.0, 3.0]), st.integers(0, 12), st.integers(0, 12)).filter(lambda e: e[1] < e[2]),
    max_size=30,
)
mark_lists = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)).filter(lambda p: p[0] < p[1]), max_size=6)


@given(edge_lists, mark_lists, st.randoms(use_true_random=False))
def test_same_groups_in_any_edge_order_and_never_a_marked_pair(
    edges: list[Edge], marks: list[tuple[int, int]], rng: random.Random
) -> None:
    shuffled = list(edges)
    rng.shuffle(shuffled)
    groups = _members(edges, marks)
    assert _members(shuffled, list(reversed(marks))) == groups
    for members in groups:
        assert not any(a in members and b in members for a, b in marks)


@given(edge_lists)
def test_without_marks_groups_are_the_connected_components(edges: list[Edge]) -> None:
    components: list[set[int]] = []
    for _, a, b in edges:
        touching = [c for c in components if a in c or b in c]
        merged = set().union({a, b}, *touching)
        components = [c for c in components if c not in touching] + [merged]
    assert _members(edges) == sorted(sorted(c) for c in components)
