"""awslab's simulator: AWS's control loops (EC2, ALB health checks, Auto Scaling, ...) in simulated time."""
from .clock import Clock
from .core import Simulator
from .timeline import Timeline, TimelineEvent

__all__ = ["Clock", "Simulator", "Timeline", "TimelineEvent"]
