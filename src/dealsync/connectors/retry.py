"""The one retry layer: tenacity around a single HTTP call, retrying only :class:`RetryableError`.

Exponential backoff with full jitter, at least the server's ``Retry-After`` when it gives one, and a total time
budget after which the last error is raised as it is.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from dealsync.errors import RetryableError
from dealsync.logging import get_logger

T = TypeVar("T")
log = get_logger("dealsync.retry")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    budget_seconds: float = 120.0
    base: float = 0.25
    cap: float = 20.0


def _wait(policy: RetryPolicy, rng: random.Random) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        backoff = rng.uniform(0, min(policy.cap, policy.base * 2 ** (state.attempt_number - 1)))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        hinted = error.retry_after if isinstance(error, RetryableError) and error.retry_after else 0.0
        return max(backoff, hinted)

    return wait


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    log.info("retrying", attempt=state.attempt_number, error=str(error), wait=round(state.upcoming_sleep, 2))


def call_with_retry(
    func: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run ``func``; retry it on :class:`RetryableError` within the policy; re-raise the last error."""
    retrying = Retrying(
        sleep=sleep or time.sleep,
        retry=retry_if_exception_type(RetryableError),
        wait=_wait(policy, rng or random.Random()),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.budget_seconds),
        before_sleep=_log_retry,
        reraise=True,
    )
    return retrying(func)
