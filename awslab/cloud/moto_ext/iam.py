"""IAM: the AWS managed policies awslab's builder attaches exist, as they do in every account.

Patched: ``IAMBackend._init_aws_policies``. moto holds AWS's managed policies but, unless
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, creates none of them (all 1,500+ of them cost each new account
backend about 2 s and 5 MB here). awslab creates the few its builder attaches, from moto's own copy of
AWS's documents: ``CloudWatchAgentServerPolicy`` for the CloudWatch agent on the app servers
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html) and
``AmazonSSMManagedInstanceCore`` for their SSM agent (Run Command, the failure drill on AWS:
https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
With moto's setting on, moto's behaviour is unchanged.
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["install", "MANAGED_POLICIES_USED"]

#: The AWS managed policies awslab attaches (names, as in ``arn:aws:iam::aws:policy/<name>``).
MANAGED_POLICIES_USED = ("CloudWatchAgentServerPolicy", "AmazonSSMManagedInstanceCore")
_ORIG: dict[str, Any] = {}


def _init_aws_policies(self) -> list:
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if load_iam_aws_managed_policies():
        return _ORIG["init"](self)
    data = json.loads(aws_managed_policies_data)
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data[name])
            for name in MANAGED_POLICIES_USED if name in data]


def install() -> None:
    from moto.iam.models import IAMBackend

    if _ORIG:
        return
    _ORIG["init"] = IAMBackend._init_aws_policies
    IAMBackend._init_aws_policies = _init_aws_policies
