"""The drills' faults as AWS Fault Injection Service (FIS) experiment templates, for the student to run on AWS.

FIS is AWS's own fault injector: an **experiment template** names the *targets* (resources picked by ARN or by
tag), the *actions* to run on them, the *stop conditions* (CloudWatch alarms that halt the experiment when the
service really suffers) and the IAM *role* FIS acts with. This module writes one template per drill fault of the
lab, from what the lab built (standard describe calls only), as ``CreateExperimentTemplate`` input:

- ``instance-stop`` / ``instance-terminate``: ``aws:ec2:stop-instances`` / ``aws:ec2:terminate-instances`` on one
  running instance of the lab's Auto Scaling group, found by the tag Auto Scaling puts on every instance it launches
  (``aws:autoscaling:groupName``);
- ``az-outage-<az>``: ``aws:network:disrupt-connectivity`` with scope ``all`` on every subnet of the lab's VPC in that
  AZ (FIS swaps in a deny-all network ACL for ``duration`` and restores the original associations itself);
- ``app-<fault>``: ``aws:ssm:send-command`` running the failure drill's own script (AWS-RunShellScript writing
  ``/opt/awslab/fault``, :mod:`awslab.drills.run_command`) on one instance.

Actions and their parameters: https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
(EC2 actions: #ec2-actions-reference-fis; network: #network-actions-reference-fis; SSM: #ssm-actions-reference-fis).
The role: https://docs.aws.amazon.com/fis/latest/userguide/getting-started-iam-service-role.html and FIS's AWS
managed policies: https://docs.aws.amazon.com/fis/latest/userguide/security-iam-awsmanpol.html
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config
from ..i18n import _
from ..lab import Lab
from ..errors import ValidationError
from .failure import APP_FAULTS, DrillError, _lab_groups
from .nacl_isolation import az_subnets
from .run_command import DOCUMENT, fault_commands, fault_word

__all__ = ["FisTemplate", "FisExport", "fis_templates", "export_fis", "FIS_POLICIES", "GUARD_METRICS"]

#: FIS's AWS managed policies, one per kind of action (the role gets those its templates need).
FIS_POLICIES = {"ec2": "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorEC2Access",
                "network": "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess",
                "ssm": "arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorSSMAccess"}
#: Load balancer metrics that say users suffer: an alarm on one is a stop condition. UnHealthyHostCount is not one
#: (every instance fault makes it fire by design, so it would stop each experiment at once).
GUARD_METRICS = ("HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "HealthyHostCount", "TargetResponseTime")
#: How long the AZ outage lasts, and how long FIS waits for the SSM command (ISO 8601 durations; FIS allows
#: PT1M-PT12H for disrupt-connectivity).
AZ_OUTAGE_DURATION, SSM_DURATION = "PT10M", "PT2M"


@dataclass
class FisTemplate:
    """One experiment template: ``request`` is the ``CreateExperimentTemplate`` input (the CLI adds clientToken)."""

    name: str
    request: dict[str, Any]
    policy: str  # the key of FIS_POLICIES its actions need

    def json(self) -> str:
        return json.dumps(self.request, indent=2) + "\n"


@dataclass
class FisExport:
    """The lab's templates, the role FIS assumes to run them, and the stop condition they share."""

    lab: str
    region: str
    role_name: str
    trust_policy: dict[str, Any]
    policy_arns: list[str]
    stop_alarm_arn: str | None
    templates: list[FisTemplate] = field(default_factory=list)

    def commands(self) -> str:
        """The AWS CLI that creates the role and the templates, and starts an experiment."""
        role = self.role_name
        lines = ["#!/usr/bin/env bash",
                 "# " + _("awslab '{lab}': the drills as AWS FIS experiment templates. Running one breaks real "
                          "resources on purpose; the lab's resources are billed while it runs.").format(lab=self.lab),
                 "set -euo pipefail", f"export AWS_DEFAULT_REGION={self.region}",
                 "# " + _("The role FIS acts with (trust: fis.amazonaws.com) and FIS's managed policies"),
                 f"aws iam create-role --role-name {role} --assume-role-policy-document file://fis-role-trust.json"]
        lines += [f"aws iam attach-role-policy --role-name {role} --policy-arn {arn}" for arn in self.policy_arns]
        if self.stop_alarm_arn is None:
            lines.append("# " + _(
                "No alarm of the lab watches what users see, so the templates have no stop condition. Add one (aws "
                "cloudwatch put-metric-alarm on the ALB's HTTPCode_ELB_5XX_Count) and set stopConditions to its ARN "
                "before running them on a service people use."))
        lines.append("# " + _("The templates (one per drill fault); start one with: aws fis start-experiment "
                              "--experiment-template-id <id>"))
        lines += [f"aws fis create-experiment-template --cli-input-json file://{shlex.quote('fis-' + t.name + '.json')}"
                  for t in self.templates]
        return "\n".join(lines) + "\n"

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``fis-<name>.json`` per template, ``fis-role-trust.json`` and ``fis-commands.sh``; returns them."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {f"fis-{t.name}.json": t.json() for t in self.templates}
        files["fis-role-trust.json"] = json.dumps(self.trust_policy, indent=2) + "\n"
        files["fis-commands.sh"] = self.commands()
        written = []
        for name, text in files.items():
            (out / name).write_text(text)
            written.append(out / name)
        return written


def _guard_alarm(lab: Lab) -> str | None:
    """The ARN of the lab's first alarm on a load balancer metric users feel (:data:`GUARD_METRICS`), or None."""
    cw = lab.client("cloudwatch")
    alarms = [a for page in cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=lab.name)
              for a in page["MetricAlarms"]]
    guards = sorted((a["AlarmName"], a["AlarmArn"]) for a in alarms
                    if a.get("Namespace") == "AWS/ApplicationELB" and a.get("MetricName") in GUARD_METRICS)
    return guards[0][1] if guards else None


def _trust(account: str, region: str) -> dict[str, Any]:
    """FIS may assume the role, for experiments in this account only (the confused-deputy conditions AWS advises)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "fis.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{region}:{account}:experiment/*"}}}]}


def _template(lab: Lab, name: str, description: str, role_arn: str, stop: str | None, actions: dict,
              targets: dict) -> dict[str, Any]:
    stops = [{"source": "aws:cloudwatch:alarm", "value": stop}] if stop else [{"source": "none"}]
    return {"description": description[:512], "roleArn": role_arn, "stopConditions": stops, "targets": targets,
            "actions": actions, "tags": {"Name": lab.resource_name("fis-" + name), config.LAB_TAG: lab.name,
                                         config.LAYER_TAG: "drill"}}


def _instances(group: str) -> dict[str, Any]:
    """One running instance of the group, picked by FIS at random (the tag Auto Scaling gives its instances)."""
    return {"AppServer": {"resourceType": "aws:ec2:instance", "resourceTags": {"aws:autoscaling:groupName": group},
                          "filters": [{"path": "State.Name", "values": ["running"]}], "selectionMode": "COUNT(1)"}}


def fis_templates(lab: Lab, app_fault: str = "unhealthy") -> FisExport:
    """The lab's drills as FIS templates (describe calls and STS GetCallerIdentity only; nothing is created)."""
    if app_fault not in APP_FAULTS:
        raise ValidationError("app_fault", app_fault, _("the app can fail by {kinds}").format(
            kinds=", ".join(APP_FAULTS)),
            _("Use app_fault='unhealthy' (/health answers 500), 'crash', 'hang' or 'slow'."))
    groups = _lab_groups(lab)
    if not groups:
        raise DrillError(_("Lab {lab} has no Auto Scaling group to aim the experiments at.").format(lab=lab.name),
                         _("Build it first: lab.build() (or lab.build(until='autoscaling'))."))
    account = lab.client("sts").get_caller_identity()["Account"]
    role = lab.resource_name("fis-role")
    out = FisExport(lab.name, lab.region, role, _trust(account, lab.region), [], _guard_alarm(lab))
    aim = _Aim(lab, groups[0]["AutoScalingGroupName"], f"arn:aws:iam::{account}:role/{role}", out.stop_alarm_arn)
    out.templates = _instance_templates(aim) + _az_templates(aim, groups[0], account) + [_app_template(aim, app_fault)]
    out.policy_arns = [FIS_POLICIES[k] for k in sorted({t.policy for t in out.templates})]
    return out


@dataclass(frozen=True)
class _Aim:
    """What every template of a lab shares: the lab, its group, the role FIS acts with, the stop condition."""

    lab: Lab
    group: str
    role_arn: str
    stop: str | None

    def template(self, name: str, policy: str, description: str, actions: dict, targets: dict) -> FisTemplate:
        request = _template(self.lab, name, description, self.role_arn, self.stop, actions, targets)
        return FisTemplate(name, request, policy)


def _instance_templates(aim: _Aim) -> list[FisTemplate]:
    """Stop, and terminate, one running instance of the group: Auto Scaling replaces it."""
    return [aim.template(f"instance-{kind}", "ec2",
                         f"awslab {aim.lab.name}: {kind} one instance of {aim.group}; Auto Scaling replaces it",
                         {f"{kind.capitalize()}OneInstance": {"actionId": f"aws:ec2:{kind}-instances",
                                                              "targets": {"Instances": "AppServer"}}},
                         _instances(aim.group)) for kind in ("stop", "terminate")]


def _az_templates(aim: _Aim, group: dict, account: str) -> list[FisTemplate]:
    """One AZ outage per AZ of the group: every subnet of the VPC in that AZ (the embedded drill's subnets)."""
    lab, ids = aim.lab, [s.strip() for s in (group.get("VPCZoneIdentifier") or "").split(",") if s.strip()]
    found = lab.client("ec2").describe_subnets(SubnetIds=ids)["Subnets"] if ids else []
    out = []
    for az in sorted({s["AvailabilityZone"] for s in found}):
        arns = [f"arn:aws:ec2:{lab.region}:{account}:subnet/{sid}" for sid in az_subnets(lab, found[0]["VpcId"], az)]
        out.append(aim.template(
            f"az-outage-{az}", "network",
            f"awslab {lab.name}: {az} cut off (deny-all network ACL on its subnets) for {AZ_OUTAGE_DURATION}",
            {"DisruptAz": {"actionId": "aws:network:disrupt-connectivity", "targets": {"Subnets": "AzSubnets"},
                           "parameters": {"duration": AZ_OUTAGE_DURATION, "scope": "all"}}},
            {"AzSubnets": {"resourceType": "aws:ec2:subnet", "resourceArns": arns, "selectionMode": "ALL"}}))
    return out


def _app_template(aim: _Aim, app_fault: str) -> FisTemplate:
    """The failure drill's Run Command (the same script) on one running instance of the group."""
    word = fault_word(app_fault)
    parameters = {"documentArn": f"arn:aws:ssm:{aim.lab.region}::document/{DOCUMENT}", "duration": SSM_DURATION,
                  "documentParameters": json.dumps({"commands": fault_commands(word)})}
    return aim.template(
        f"app-{app_fault}", "ssm",
        f"awslab {aim.lab.name}: the web app of one instance of {aim.group} breaks ({word}) through SSM Run Command",
        {"BreakTheApp": {"actionId": "aws:ssm:send-command", "targets": {"Instances": "AppServer"},
                         "parameters": parameters}}, _instances(aim.group))


def export_fis(lab: Lab, directory: str | Path, app_fault: str = "unhealthy") -> list[Path]:
    """Write the lab's FIS templates, the role's trust policy and the commands into ``directory``."""
    return fis_templates(lab, app_fault).write(directory)
