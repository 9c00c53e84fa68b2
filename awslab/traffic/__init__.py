"""Traffic: open-model and closed-model load through the ALB, with Locust-style statistics."""
from __future__ import annotations

from .generator import WEIGHT_HEADER, Endpoint, LoadRun, closed_model, open_model
from .shapes import between, constant, ramp, seed_surge, seed_surge_users, spike, steady, step, users
from .stats import RequestStats, StatsEntry
from .target import alb_url

__all__ = ["alb_url", "WEIGHT_HEADER", "Endpoint", "LoadRun", "closed_model", "open_model", "between", "constant", "ramp",
           "seed_surge", "seed_surge_users", "spike", "steady", "step", "users", "RequestStats", "StatsEntry"]
