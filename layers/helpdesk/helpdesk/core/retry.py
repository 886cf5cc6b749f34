"""Pauses between in-process retries of a lost race: exponential with full jitter, so writers that
collided once do not collide again in lockstep."""

from __future__ import annotations

import random
import time

BASE_SECONDS = 0.02
CAP_SECONDS = 1.0


def jittered(attempt: int, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry): uniform in [0, ceiling]."""
    return random.uniform(0, min(cap, base * (2 ** attempt)))  # noqa: S311 - spreading retries, not secrecy


def pause(attempt: int, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> None:
    time.sleep(jittered(attempt, base, cap))
