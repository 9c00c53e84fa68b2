"""A two-AZ stack whose targets are healthy: what the dashboard's tests, recorder and bench start from."""
from __future__ import annotations

import uuid

from awslab import Lab

from ..topology.stack import Stack, build_stack, wait_healthy


def healthy_stack(cloud_url: str, prefix: str = "d") -> tuple[Lab, Stack]:
    """Build the stack (2 x t3.micro behind an ALB, no database) and move the clock until both targets are healthy."""
    lab = Lab(name=prefix + uuid.uuid4().hex[:7 - len(prefix) + 1], endpoint_url=cloud_url)
    st = build_stack(lab, desired=2, database=False)
    wait_healthy(lab, cloud_url, st.tg_arn, 2)  # boot, then one passing health check; bounded
    return lab, st
