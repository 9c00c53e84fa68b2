"""Auto Scaling (skeleton: being filled in)."""
from __future__ import annotations

__all__ = ["AutoScalingSim"]


class AutoScalingSim:
    def __init__(self) -> None:
        self.sim = None

    def start(self, sim) -> None:
        self.sim = sim

    def reset(self) -> None:
        pass

    def set_desired_capacity(self, group_name: str, desired: int, cause: str, honor_cooldown: bool = False) -> bool:
        raise NotImplementedError

    def group(self, name: str):
        raise NotImplementedError

    def in_warmup(self, group_name: str, instance_id: str) -> bool:
        raise NotImplementedError
