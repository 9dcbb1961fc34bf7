"""Read-ahead keeps order, surfaces the source's errors, and stops its worker when the consumer stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dealsync.sync.prefetch import prefetch


def test_items_arrive_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_a_source_error_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 broke")

    stream = prefetch(source())
    assert [next(stream), next(stream)] == [1, 2]
    with pytest.raises(ValueError, match="page 3 broke"):
        next(stream)


def test_the_source_reads_ahead_while_the_consumer_works() -> None:
    produced: list[float] = []

    def source() -> Iterator[int]:
        for i in range(3):
            produced.append(time.monotonic())
            yield i

    consumed = []
    for item in prefetch(source(), depth=2):
        time.sleep(0.05)  # the consumer is slow; the worker has already fetched the next pages
        consumed.append((item, time.monotonic()))
    assert produced[2] < consumed[1][1]


def test_stopping_early_stops_the_worker() -> None:
    started = threading.Event()

    def endless() -> Iterator[int]:
        i = 0
        while True:
            started.set()
            yield i
            i += 1

    before = threading.active_count()
    stream = prefetch(endless(), depth=1)
    assert next(stream) == 0
    stream.close()
    assert started.is_set()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
