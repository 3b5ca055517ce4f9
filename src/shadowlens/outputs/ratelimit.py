"""Pacing for the Defender API: a request-rate limiter and a retry/backoff policy.

Both take a :class:`Clock`, so tests can run minutes of simulated waiting instantly.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "RateLimiter", "RetryPolicy", "SystemClock", "parse_retry_after"]


class Clock(Protocol):
    """A source of monotonic time that can also wait."""

    def monotonic(self) -> float:
        """Return seconds from an arbitrary fixed point; never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait for ``seconds``."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` (nothing for zero or less)."""
        if seconds > 0:
            time.sleep(seconds)


class RateLimiter:
    """Allow at most ``limit`` calls in any window of ``period`` seconds.

    A token bucket whose tokens are the timestamps of the last ``limit`` grants: a
    token comes back exactly ``period`` seconds after it was spent. Unlike a bucket
    with a continuous refill rate, this never lets more than ``limit`` calls into
    any sliding window (a refilling bucket of 30 can admit almost 60 in one minute).

    Parameters
    ----------
    limit
        Calls allowed per window (Defender documents 30 requests per minute).
    period
        Window length in seconds.
    clock
        Time source; defaults to :class:`SystemClock`.
    """

    def __init__(self, limit: int = 30, period: float = 60.0, clock: Clock | None = None) -> None:
        if limit < 1 or period <= 0:
            msg = "rate limit needs limit >= 1 and period > 0"
            raise ValueError(msg)
        self.limit = limit
        self.period = period
        self.clock: Clock = clock or SystemClock()
        self._spent: deque[float] = deque()

    def acquire(self) -> float:
        """Wait until a call is allowed, record it, and return the time waited."""
        waited = 0.0
        while True:
            now = self.clock.monotonic()
            while self._spent and now - self._spent[0] >= self.period:
                self._spent.popleft()
            if len(self._spent) < self.limit:
                self._spent.append(now)
                return waited
            delay = self._spent[0] + self.period - now
            self.clock.sleep(delay)
            waited += delay


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before retrying a failed request.

    Delays grow exponentially (``base_delay * 2**n``, capped at ``max_delay``) with
    jitter: the actual wait is drawn uniformly from ``[delay/2, delay]``, so clients
    that failed together do not retry together.
    A server's ``Retry-After`` takes precedence, capped at ``max_retry_after``.

    Parameters
    ----------
    max_attempts
        Total tries per request, including the first.
    base_delay, max_delay
        Backoff bounds in seconds.
    max_retry_after
        Longest ``Retry-After`` honoured, in seconds.
    rng
        Random source for the jitter (seed it in tests).
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            msg = "max_attempts must be at least 1"
            raise ValueError(msg)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Return the wait before retry number ``retry`` (1 for the first retry)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return self.rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header: delay seconds or an HTTP date; ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
