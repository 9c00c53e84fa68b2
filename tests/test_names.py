"""Results and messages show names and ids, not ARNs."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from awslab.layers._base import Built
from awslab.names import readable

ACCOUNT = "ap-northeast-2:123456789012"


@pytest.mark.parametrize("arn,shown", [
    (f"arn:aws:elasticloadbalancing:{ACCOUNT}:targetgroup/awslab-tg/b82e46cb5e22dc37", "awslab-tg"),
    (f"arn:aws:elasticloadbalancing:{ACCOUNT}:loadbalancer/app/awslab-alb/0d4a527dbe3fa218", "awslab-alb"),
    (f"arn:aws:elasticloadbalancing:{ACCOUNT}:listener/app/awslab-alb/0d4a/0d70", "awslab-alb listener"),
    (f"arn:aws:autoscaling:{ACCOUNT}:autoScalingGroup:1f2e:autoScalingGroupName/awslab-asg", "awslab-asg"),
    (f"arn:aws:autoscaling:{ACCOUNT}:scalingPolicy:9a:autoScalingGroupName/awslab-asg:policyName/awslab-tt", "awslab-tt"),
    (f"arn:aws:cloudwatch:{ACCOUNT}:alarm:awslab-cpu-high", "awslab-cpu-high"),
    ("arn:aws:iam::123456789012:role/awslab-app-role", "awslab-app-role"),
    ("vpc-0abc", "vpc-0abc"),
])
def test_an_arn_reads_as_the_console_names_it(arn, shown):
    assert readable(arn) == shown


@dataclass
class _Result(Built):
    target_group_arn: str
    zones: list[str]
    created: list[str] = field(default_factory=list)


def test_a_result_shows_names_and_counts_not_arns():
    arn = f"arn:aws:elasticloadbalancing:{ACCOUNT}:targetgroup/awslab-tg/b82e46cb5e22dc37"
    r = _Result(arn, ["ap-northeast-2a", "ap-northeast-2b"], [arn])
    assert r.target_group_arn == arn  # code still gets the ARN
    assert repr(r) == "_Result(target_group_arn=awslab-tg, zones=[ap-northeast-2a, ap-northeast-2b], created=1)"
    page = r._repr_html_()
    assert "arn:aws" not in page and "awslab-tg" in page and "white-space:normal" in page
