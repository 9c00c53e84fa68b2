"""Drills: break something on purpose, then watch AWS's control loops put it right.

    >>> from awslab.drills import fail_instance
    >>> drill = fail_instance(lab, kind="crash")   # one app server's web app dies
    >>> drill.wait_until("unhealthy")              # the ALB's health checks notice; traffic goes elsewhere
    >>> drill.wait_until("recovered")              # Auto Scaling replaced it; the new one passed its checks
    >>> drill.story()                              # what happened, when, in AWS's words
    >>> s = surge(lab)                              # the seed's 100 -> 1000 users
    >>> s.wait_until("scaled_out"); s.stop()        # an alarm fires, a policy adds instances
    >>> out = az_outage(lab, remove_subnets=True)   # a network ACL cuts one AZ off
    >>> out.wait_until("replaced"); out.reset()     # Auto Scaling launches in the other AZ; the AZ comes back
    >>> t = health_check_tuning(lab)                # seed, aggressive and tuned health checks side by side
    >>> t.wait_until("measured"); t.result()        # detection time vs false alarms, measured; t.reset()
    >>> d = bad_deploy(lab)                         # a release that fails /health, rolled out by an instance refresh
    >>> d.wait_until("rolled_back"); d.reset()      # the refresh fails and rolls back; reset undoes the drill

Breaking comes from the embedded cloud's simulator (or EC2 calls); everything a
drill reports is read back through the standard AWS APIs.
"""
from __future__ import annotations

from .az_outage import AZ_OUTAGE_MILESTONES, AzOutage, AzOutageStatus, az_outage, find_az_outage
from .bad_deploy import DEPLOY_MILESTONES, BadDeploy, DeployStatus, bad_deploy, follow_refresh
from .deploy_release import BAD_RELEASE, GOOD_RELEASE
from .deploy_reset import reset_bad_deploy
from .failure import (FAILURE_KINDS, HEALTH_CHECK_PERIOD_S, MILESTONES, DrillError, FailureStatus, InstanceFailure,
                      detection_window, fail_instance, replacement_window)
from .policy_comparison import PolicyComparisonResult, PolicyOutcome, compare_policies
from .policy_drill import COMPARISON_MILESTONES, ComparisonStatus, PolicyComparisonDrill, policy_comparison
from .health_check_tuning import (AGGRESSIVE, SEED, TUNED, TUNING_MILESTONES, HealthCheckSetting, HealthCheckTuning,
                                  SlowApp, TuningResult, TuningStatus, health_check_tuning, reset_health_check_tuning)
from .simulator import Simulator, simulator
from .story import Story, StoryLine
from .surge import SURGE_MILESTONES, Surge, SurgeStatus, surge

__all__ = ["fail_instance", "InstanceFailure", "FailureStatus", "DrillError", "FAILURE_KINDS", "MILESTONES",
           "detection_window", "replacement_window", "HEALTH_CHECK_PERIOD_S",
           "surge", "Surge", "SurgeStatus", "SURGE_MILESTONES",
           "az_outage", "find_az_outage", "AzOutage", "AzOutageStatus", "AZ_OUTAGE_MILESTONES",
           "policy_comparison", "PolicyComparisonDrill", "ComparisonStatus", "COMPARISON_MILESTONES",
           "compare_policies", "PolicyComparisonResult", "PolicyOutcome",
           "health_check_tuning", "HealthCheckTuning", "HealthCheckSetting", "TuningResult", "TuningStatus", "SlowApp",
           "SEED", "AGGRESSIVE", "TUNED", "TUNING_MILESTONES", "reset_health_check_tuning",
           "bad_deploy", "follow_refresh", "BadDeploy", "DeployStatus", "DEPLOY_MILESTONES", "reset_bad_deploy",
           "BAD_RELEASE", "GOOD_RELEASE", "Story", "StoryLine", "Simulator", "simulator"]
