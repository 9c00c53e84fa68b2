"""CloudWatch Logs on the simulated clock.

Patched: ``moto.logs.models.utcnow``. PutLogEvents accepts events from 14 days before to 2 hours after
the time it receives them, and stamps each with its ingestion time
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html). The
instances' agents (:mod:`awslab.dataplane.applogs`) stamp lines in simulated time, so "now" for
CloudWatch Logs is simulated time too; a fast-forwarded drill's lines are then accepted, as on AWS.
"""
from __future__ import annotations

from . import sim_utcnow

__all__ = ["install"]


def install() -> None:
    from moto.logs import models as logs_models

    logs_models.utcnow = sim_utcnow
