"""``SideConsumer``: one stream, two consumers, no deadlock whatever either side does."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import pytest

from dealsync.sync.audit_stream import SideConsumer


def test_both_consumers_see_every_item_in_order() -> None:
    side: SideConsumer[int, list[int]] = SideConsumer(list, batch=7, depth=2)
    assert list(side.tap(range(1000))) == list(range(1000))
    assert side.result() == list(range(1000))


def test_the_side_consumer_failing_is_raised_by_result_and_never_blocks_the_stream() -> None:
    def explode(items: Iterable[int]) -> int:
        for item in items:
            if item == 10:
                raise ValueError("boom")
        return 0

    side: SideConsumer[int, int] = SideConsumer(explode, batch=3, depth=1)
    assert sum(side.tap(range(10_000))) == sum(range(10_000))
    with pytest.raises(ValueError, match="boom"):
        side.result()


def test_a_side_consumer_that_stops_early_does_not_block_the_stream() -> None:
    side: SideConsumer[int, list[int]] = SideConsumer(lambda items: list(islice(items, 5)), batch=2, depth=1)
    assert len(list(side.tap(range(5000)))) == 5000
    assert side.result() == [0, 1, 2, 3, 4]


def test_a_stream_closed_early_ends_the_side_consumer_with_what_it_saw() -> None:
    side: SideConsumer[int, list[int]] = SideConsumer(list, batch=4)
    stream = side.tap(range(100))
    assert list(islice(stream, 10)) == list(range(10))
    stream.close()
    assert side.result() == list(range(10))  # what the stream yielded, no more
