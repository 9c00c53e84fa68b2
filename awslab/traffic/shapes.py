"""Load shapes and think times, Locust-style strategy factories.

Request-rate shapes (``shape(t) -> requests/s`` at ``t`` simulated seconds
since the load started) come from the simulator's load model, so the CPU
model and the real traffic use the very same curves:
:func:`steady`, :func:`step`, :func:`spike`, :func:`ramp`, :func:`users`,
:func:`seed_surge`.

For the closed model a shape gives the *number of users* at ``t``: the same
factories work (``step(100, 1000, at_s=60)`` is "100 users, then 1000"), and
:func:`seed_surge_users` is the seed notes' 100 -> 1000 users.

Think time is what a user waits between an answer and the next click:
:func:`between` (uniform) or :func:`constant`.
"""
from __future__ import annotations

import random
from typing import Callable

from ..sim.load import LoadShape, ramp, seed_surge, spike, steady, step, users

__all__ = ["LoadShape", "steady", "step", "spike", "ramp", "users", "seed_surge", "seed_surge_users",
           "between", "constant", "ThinkTime"]

ThinkTime = Callable[[random.Random], float]


def seed_surge_users(at_s: float = 600.0, ramp_s: float = 60.0) -> LoadShape:
    """The seed notes' surge as a user count: 100 users, rising to 1000 from ``at_s`` over ``ramp_s``."""
    return ramp(100, 1000, ramp_s, at_s)


def between(low: float, high: float) -> ThinkTime:
    """Think a uniformly random ``low``-``high`` seconds (Locust's ``between``)."""
    return lambda rng: rng.uniform(low, high)


def constant(seconds: float) -> ThinkTime:
    """Think exactly ``seconds``."""
    return lambda rng: float(seconds)
