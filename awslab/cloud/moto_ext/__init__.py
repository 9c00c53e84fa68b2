"""The moto extension: moto's models show the simulator's truth.

moto answers the AWS APIs from in-memory models, but nothing in them happens
over time: instances run at once, every target is healthy, an ASG launches
everything synchronously in its first subnet. awslab patches a handful of
moto's *model* methods (one file per service) so that:

- EC2 instances go pending -> running -> ... on the simulator's clock
  (:mod:`.ec2`);
- describe-target-health reports the simulated health-check state machine
  (:mod:`.elbv2`);
- Auto Scaling reconciliation, lifecycle states and scaling activities come
  from the simulator (:mod:`.autoscaling`); instance refreshes, which moto lacks, run there too
  (:mod:`.instance_refresh`);
- CloudWatch metrics and alarms come from the simulator (:mod:`.cloudwatch`,
  owned by the CloudWatch subsystem);
- the AWS managed policies the builder attaches exist (:mod:`.iam`);
- CloudWatch Logs takes events on the simulated clock (:mod:`.logs`);
- CloudFormation models scaling policies, alarms and secrets, and splits a list parameter's default
  (:mod:`.cloudformation`);
- a DB instance sits in its DB subnet group's AZs, with a standby for Multi-AZ, and a forced failover
  takes AWS's time on the simulator's clock (:mod:`.rds`);
- a security-group rule is matched without its description, as AWS does (:mod:`.security_groups`);
- ACM certificates are signed by the lab CA and issued once their DNS validation record exists (:mod:`.acm`),
  and an HTTPS listener takes only an issued certificate and a known security policy (:mod:`.listener_tls`);
- a launch template version built on a source version inherits its parameters, and an instance
  launched from a template gets its metadata options and monitoring (:mod:`.launch_templates`); versions can be
  deleted (:mod:`.launch_template_versions`).

Every patched method falls back to moto's own behaviour when no simulator is
installed. ``tests/cloud/test_moto_contract.py`` checks that the moto
internals relied on here still exist with the same shapes in the pinned moto.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["install", "uninstall", "active", "sim_utcnow", "PINNED_MOTO_VERSION"]

#: The moto version these patches were written against (pyproject pins it too).
PINNED_MOTO_VERSION = "5.2.5"

SIM: Any = None
_PATCHED = False


def active():
    """The installed :class:`~awslab.sim.core.Simulator`, or None."""
    return SIM


def sim_utcnow():
    """moto's ``utcnow()`` (a naive UTC datetime), read from the simulated clock when one is installed.

    The EC2/ELBv2/Auto Scaling model modules get this in place of their ``utcnow`` import, so the
    timestamps moto stamps itself (CreatedTime, moto's own activities, ...) are simulated too.
    """
    from datetime import datetime, timezone

    if SIM is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    return SIM.clock.now_datetime().replace(tzinfo=None)


def install(sim) -> None:
    """Patch moto (once) and route its model hooks to ``sim`` (replacing any earlier simulator)."""
    global SIM, _PATCHED
    SIM = sim
    if _PATCHED:
        return
    from . import asg_cloudformation, autoscaling, ec2, elbv2, launch_templates, security_groups

    ec2.install()
    security_groups.install()
    launch_templates.install()
    from . import launch_template_versions

    launch_template_versions.install()
    elbv2.install()
    autoscaling.install()
    asg_cloudformation.install()
    from . import cloudformation

    cloudformation.install()
    from . import instance_refresh

    instance_refresh.install()
    from . import access_logs, acm, cloudfront, iam, listener_tls, logs, rds, route53

    acm.install()
    listener_tls.install()

    iam.install()
    rds.install()
    logs.install()
    route53.install()
    cloudfront.install()
    access_logs.install()
    try:  # the CloudWatch part is another subsystem's; it may not exist yet
        cw = importlib.import_module(f"{__name__}.cloudwatch")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.cloudwatch":
            raise
    else:
        if hasattr(cw, "install"):
            cw.install()
    _PATCHED = True


def uninstall() -> None:
    """Stop routing to a simulator (the patches stay and fall back to moto's behaviour)."""
    global SIM
    SIM = None
