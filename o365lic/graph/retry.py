"""One bounded retry policy for sign-in and Graph calls: which statuses, how long to wait."""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from o365lic.config import MAX_ATTEMPTS, MAX_BACKOFF_S, MAX_RETRY_AFTER_S

__all__ = ["RETRY_STATUSES", "RetryPolicy", "Wait", "parse_retry_after", "retry_after_seconds"]

logger = logging.getLogger("o365lic.graph")

#: Statuses worth another attempt, from the token endpoint and from Graph.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (fractional seconds or an HTTP date), uncapped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):  # NaN, inf
        return None
    return max(seconds, 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, cut to :data:`MAX_RETRY_AFTER_S`."""
    seconds = retry_after_seconds(value)
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER_S)


@dataclass(frozen=True)
class Wait:
    """One pause before another attempt: how long, what the server asked, whether the cap cut it."""

    seconds: float
    asked: float | None = None

    @property
    def capped(self) -> bool:
        """True when the server asked for longer than o365lic waits."""
        return self.asked is not None and self.asked > self.seconds

    def note(self) -> str:
        """Words for an error or log when the cap cut the wait, else ''."""
        if not self.capped:
            return ""
        return (f"Microsoft asked to wait {self.asked:g} s before retrying; o365lic waits at most "
                f"{self.seconds:g} s (MAX_RETRY_AFTER_S)")


@dataclass
class RetryPolicy:
    """Bounded attempts with exponential back-off (full jitter) or the server's Retry-After.

    ``sleep`` and ``rng`` are injectable so tests never really wait.
    """

    max_attempts: int = MAX_ATTEMPTS
    backoff_base: float = 1.0
    max_backoff: float = MAX_BACKOFF_S
    retry_after_cap: float = MAX_RETRY_AFTER_S
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.max_attempts = max(1, self.max_attempts)

    def backoff(self, attempt: int) -> float:
        """Exponential back-off with full jitter for attempt ``attempt`` (1-based), capped."""
        return self.rng.uniform(0, min(self.max_backoff, self.backoff_base * 2 ** (attempt - 1)))

    def wait_for(self, attempt: int, retry_after: str | None = None) -> Wait:
        """The pause after failed attempt ``attempt``: Retry-After up to the cap, else back-off."""
        asked = retry_after_seconds(retry_after)
        if asked is None:
            return Wait(self.backoff(attempt))
        return Wait(min(asked, self.retry_after_cap), asked)

    def pause(self, wait: Wait, what: str) -> None:
        """Sleep ``wait``; log when the cap cut what the server asked."""
        if wait.capped:
            logger.warning("%s: %s", what, wait.note())
        self.sleep(wait.seconds)
